"""Where the local cluster lives and what it talks to, from `LIANFANG_*` variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["POOLS", "STORES", "ClusterSettings"]

# The process types nginx balances over; each has a pool named after it in deploy/nginx.conf.
POOLS = ("gateway", "registry", "checkin", "trace")
STORES = ("accounts", "registry", "records", "trace")


class ClusterSettings(BaseSettings):
    """Paths are relative to the checkout."""

    model_config = SettingsConfigDict(env_prefix="LIANFANG_", extra="ignore")

    cluster_dir: Path = Path(".cluster")
    cluster_procfile: Path = Path("deploy/Procfile")
    cluster_nginx_template: Path = Path("deploy/nginx.conf")
    cluster_prometheus_rules: Path = Path("deploy/prometheus/alerts.yml")
    cluster_web_root: Path = Path("web")
    # `type=count` pairs; types of the Procfile left out run once.
    cluster_formation: str = "nginx=1,gateway=2,registry=2,checkin=2,trace=2,worker=1"
    # nginx's internal address is this port; the n-th instance of the k-th Procfile type listens on base + 10·k + n.
    cluster_port_base: int = Field(default=9100, ge=1024, le=65000)
    # The MariaDB server of the four stores, and the prefix of their database names.
    cluster_mysql_url: str = "mysql+asyncmy://root@127.0.0.1:3306"
    cluster_database_prefix: str = Field(default="lianfang_cluster_", pattern=r"^[A-Za-z0-9_]*$")
    nginx_https_port: int = 8443
    nginx_http_port: int = 8080
    nginx_trusted_proxy: str = "127.0.0.1"
    # Unset: a self-signed certificate for localhost, made once in `cluster_certificates`.
    cluster_certificates: Path = Path("deploy/certs")
    tls_certificate: Path | None = None
    tls_certificate_key: Path | None = None
    cluster_ready_seconds: float = 120.0
    # `make cluster SHARDS=2`: the records store on the shards of `cluster_shard_map` (each a primary and a replica),
    # behind a Spider write front and read front; 0 keeps it in one database of `cluster_mysql_url`.
    cluster_shards: int = Field(default=0, ge=0)
    cluster_shard_map: Path = Path("deploy/shards.toml")
    cluster_write_front: str = "127.0.0.1:3309"
    cluster_read_front: str = "127.0.0.1:3319"
    cluster_mariadb_buffer_pool: str = Field(default="64M", pattern=r"^[0-9]+[KMG]$")

    @property
    def sharded(self) -> bool:
        return self.cluster_shards > 0

    @property
    def run_dir(self) -> Path:
        return self.cluster_dir.resolve()

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.nginx_https_port}"

    @property
    def internal_url(self) -> str:
        return f"http://127.0.0.1:{self.cluster_port_base}"

    def formation(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for pair in filter(None, (item.strip() for item in self.cluster_formation.split(","))):
            name, _, count = pair.partition("=")
            counts[name.strip()] = int(count)
        return counts
