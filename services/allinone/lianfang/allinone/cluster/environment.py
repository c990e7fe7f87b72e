"""Every process's environment: the defaults of a local cluster, the keys made once, and whatever the caller set."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from lianfang.allinone.cluster.procfile import first_port
from lianfang.allinone.cluster.settings import STORES, ClusterSettings
from lianfang.allinone.keys import stored_keys, stored_root_password

__all__ = ["service_environment"]


def _sharded_records(settings: ClusterSettings) -> dict[str, str]:
    """`make cluster SHARDS=2`: the records store behind the local topology's Spider fronts (`cluster.topology`)."""
    if not settings.sharded:
        return {}
    database = f"{settings.cluster_database_prefix}records"
    return {
        "LIANFANG_RECORDS_DATABASE_URL": f"mysql+asyncmy://root@{settings.cluster_write_front}/{database}",
        "LIANFANG_RECORDS_READ_DATABASE_URL": f"mysql+asyncmy://root@{settings.cluster_read_front}/{database}",
        "LIANFANG_RECORDS_SHARD_MAP": str(settings.cluster_shard_map.resolve()),
    }


def service_environment(settings: ClusterSettings) -> dict[str, str]:
    run_dir = settings.run_dir
    server = make_url(settings.cluster_mysql_url)
    redis_port = first_port(settings, settings.cluster_procfile.read_text(), "redis")
    defaults = {
        "LIANFANG_ENV": "development",
        "LIANFANG_WECHAT_MODE": "dev",
        # The cluster's own Redis (deploy/Procfile), unless the caller names another.
        "LIANFANG_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "LIANFANG_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/",
        "LIANFANG_PUBLIC_URL": settings.https_url,
        "LIANFANG_REGISTRY_URL": settings.internal_url,
        "LIANFANG_GATEWAY_URL": settings.internal_url,
        "LIANFANG_TRACE_URL": settings.internal_url,
        **{
            f"LIANFANG_{store.upper()}_DATABASE_URL": server.set(
                database=f"{settings.cluster_database_prefix}{store}"
            ).render_as_string(hide_password=False)
            for store in STORES
        },
        **_sharded_records(settings),
    }
    env = {**defaults, **stored_keys(run_dir), **os.environ}
    if not env.get("LIANFANG_ROOT_PASSWORD"):
        env["LIANFANG_ROOT_PASSWORD"] = stored_root_password(run_dir)
    env["LIANFANG_CLUSTER_DIR"] = str(run_dir)
    tools = [str(Path(sys.executable).parent), "/usr/local/sbin", "/usr/sbin", "/sbin"]
    env["PATH"] = os.pathsep.join([*tools, env.get("PATH", "/usr/bin:/bin")])
    return env
