"""nginx's configuration, rendered from `deploy/nginx.conf` with the pools of the instances the formation runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lianfang.allinone.cluster.certificates import certificate
from lianfang.allinone.cluster.procfile import Instance
from lianfang.allinone.cluster.settings import POOLS, ClusterSettings
from lianfang.allinone.wechat_verify import WeChatVerifySettings

__all__ = ["BROTLI_STATIC_MODULE", "brotli_values", "nginx_test_command", "nginx_values", "render_template"]

# Debian's libnginx-mod-http-brotli-static (`deploy/install-packages.sh cluster` installs it): with it nginx serves the
# .br copies the build made beside the scripts and styles; without it, the .gz ones as before.
BROTLI_STATIC_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")

_TEMPLATE_VARIABLE = re.compile(r"\$\{(LIANFANG_[A-Z0-9_]+)\}")


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Fills every `${LIANFANG_*}`, as envsubst does with NGINX_ENVSUBST_FILTER=^LIANFANG_; nginx's own `$names` stay."""
    missing = sorted({name for name in _TEMPLATE_VARIABLE.findall(template) if name not in values})
    if missing:
        raise ValueError(f"the nginx template needs {', '.join(missing)}")
    return _TEMPLATE_VARIABLE.sub(lambda match: values[match.group(1)], template)


def nginx_values(settings: ClusterSettings, chosen: list[Instance]) -> dict[str, str]:
    certificate_path, key_path = certificate(settings)
    values = {
        "LIANFANG_NGINX_HTTPS_PORT": str(settings.nginx_https_port),
        "LIANFANG_NGINX_HTTP_PORT": str(settings.nginx_http_port),
        "LIANFANG_NGINX_INTERNAL_LISTEN": f"127.0.0.1:{settings.cluster_port_base}",
        "LIANFANG_NGINX_TRUSTED_PROXY": settings.nginx_trusted_proxy,
        "LIANFANG_TLS_CERTIFICATE": str(certificate_path),
        "LIANFANG_TLS_CERTIFICATE_KEY": str(key_path),
        "LIANFANG_WEB_ROOT": str(settings.cluster_web_root.resolve()),
        **WeChatVerifySettings().nginx_values(),
        **brotli_values(BROTLI_STATIC_MODULE),
    }
    for pool in POOLS:
        servers = [
            f"server 127.0.0.1:{instance.port} max_fails=3 fail_timeout=10s;"
            for instance in chosen
            if instance.kind == pool
        ]
        if not servers:
            raise ValueError(f"LIANFANG_CLUSTER_FORMATION must run at least one {pool}")
        values[f"LIANFANG_NGINX_{pool.upper()}_SERVERS"] = " ".join(servers)
    return values


def brotli_values(module: Path) -> dict[str, str]:
    """The template's lines that load and use the Brotli module, empty where this nginx has none."""
    if not module.exists():
        return {"LIANFANG_NGINX_LOAD_MODULES": "", "LIANFANG_NGINX_BROTLI_STATIC": ""}
    return {
        "LIANFANG_NGINX_LOAD_MODULES": f"load_module {module};",
        "LIANFANG_NGINX_BROTLI_STATIC": "brotli_static on;",
    }


def nginx_test_command(chosen: list[Instance]) -> list[str]:
    """nginx's own check of the rendered configuration, with the paths its Procfile line gives."""
    (nginx,) = [instance for instance in chosen if instance.kind == "nginx"]
    return [arg for arg in nginx.argv if arg not in ("-g", "daemon off;")] + ["-t", "-q"]
