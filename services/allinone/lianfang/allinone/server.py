from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import uvicorn

from lianfang.allinone.app import AllInOne, banner
from lianfang.allinone.settings import AllInOneSettings
from lianfang.common.observability import configure_logging

__all__ = ["run_allinone"]


def run_allinone(*, host: str, port: int, data_dir: Path, demo: bool) -> None:
    configure_logging(os.environ.get("LIANFANG_LOG_LEVEL", "INFO"), json_lines=os.environ.get("LIANFANG_LOG_JSON") == "true")
    logging.getLogger("lianfang.access").setLevel(logging.WARNING)  # a terminal, not a log pipeline: keep it readable
    settings = AllInOneSettings.load(data_dir)
    base_url = f"http://{host}:{port}"
    app = AllInOne(settings, demo=demo, on_ready=lambda logins: print(banner(base_url, settings, logins), flush=True))
    config = uvicorn.Config(app.asgi, host=host, port=port, access_log=False, log_config=None, lifespan="on")
    asyncio.run(uvicorn.Server(config).serve())
