"""Each service's OpenAPI document as the web pages' types are generated from it (`make types`), without a server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from lianfang.checkin.main import create_app as checkin_app
from lianfang.common.settings import WeChatMode
from lianfang.gateway.main import create_app as gateway_app
from lianfang.gateway.settings import GatewaySettings
from lianfang.registry.main import create_app as registry_app
from lianfang.trace.main import create_app as trace_app

__all__ = ["SERVICES", "document_text", "write_documents"]

SERVICES: dict[str, Callable[[], FastAPI]] = {
    # With the dev login's calls: the pages offer it when the server is in dev mode (`GET /api/auth/config`).
    "gateway": lambda: gateway_app(GatewaySettings(wechat_mode=WeChatMode.dev)),
    "registry": registry_app,
    "checkin": checkin_app,
    "trace": trace_app,
}


def document_text(service: str) -> str:
    """The document as committed in web/shared/openapi/: the order FastAPI gives, Chinese kept readable."""
    return json.dumps(SERVICES[service]().openapi(), ensure_ascii=False, indent=2) + "\n"


def write_documents(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        path.write_text(document_text(service), encoding="utf-8")
        written.append(path)
    return written
