from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import uvicorn

from lianfang.allinone.app import AllInOne
from lianfang.allinone.demo import DEMO_PASSWORD, DemoLogin
from lianfang.allinone.settings import AllInOneSettings
from lianfang.common.observability import configure_logging
from lianfang.common.settings import WeChatMode

__all__ = ["run_allinone"]


def run_allinone(*, host: str, port: int, data_dir: Path, demo: bool) -> None:
    base_url = f"http://{host}:{port}"
    settings = AllInOneSettings.load(data_dir, base_url)  # refuses a bad configuration before anything else is touched
    configure_logging(
        os.environ.get("LIANFANG_LOG_LEVEL", "INFO"), json_lines=os.environ.get("LIANFANG_LOG_JSON") == "true"
    )
    # A terminal, not a log pipeline: keep it readable.
    for chatty in ("lianfang.access", "httpx", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    app = AllInOne(settings, demo=demo, on_ready=lambda logins: print(banner(base_url, settings, logins), flush=True))
    config = uvicorn.Config(app.asgi, host=host, port=port, access_log=False, log_config=None, lifespan="on")
    asyncio.run(uvicorn.Server(config).serve())


def root_password_source(settings: AllInOneSettings) -> str:
    """Where the root password is, never the password itself: the banner ends up in logs."""
    stored = settings.data_dir / "root-password.txt"
    if os.environ.get("LIANFANG_ROOT_PASSWORD") or not stored.exists():
        return "password from LIANFANG_ROOT_PASSWORD"
    return f"password in {stored}"


def banner(base_url: str, settings: AllInOneSettings, logins: list[DemoLogin]) -> str:
    gateway_settings = settings.gateway
    lines = [
        "",
        "  Lianfang 联防联控服务与管理系统 — all-in-one, ready",
        "",
        f"  管理后台  admin SPA      {base_url}/admin/",
        f"  执勤      staff view     {base_url}/staff/",
        f"  扫码登记  check-in page  {base_url}/c/<checkpoint code>",
        f"  API       OpenAPI docs   {base_url}/api/auth/docs  {base_url}/api/registry/docs",
        f"  health                   {base_url}/healthz  {base_url}/readyz  {base_url}/metrics",
        "",
        f"  root admin   {gateway_settings.root_username}, {root_password_source(settings)}",
    ]
    if gateway_settings.wechat_mode is WeChatMode.dev:
        lines += [
            "",
            "  开发模式  dev login on (LIANFANG_WECHAT_MODE=dev): anyone may log in as any resident by openid.",
            "            Never on a server with real people's data.",
        ]
    if logins:
        lines.append(f"  demo logins  (password {DEMO_PASSWORD})")
        lines += [f"    {login.username:<12} {login.role:<6} {login.region}" for login in logins]
    lines += ["", f"  data in {settings.data_dir.resolve()}  ·  Ctrl-C stops", ""]
    return "\n".join(lines)
