from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from lianfang.common.app import add_routers, create_service_app
from lianfang.common.cards import PersonalCards
from lianfang.common.chinese_font import load_chinese_font
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.db.retention import Retention, purge_periodically
from lianfang.common.oplog import operation_log_router
from lianfang.common.runtime import Runtime
from lianfang.registry.accounts_client import AccountsClient
from lianfang.registry.bootstrap import ensure_builtin_templates, ensure_root_region
from lianfang.registry.cards import router as cards
from lianfang.registry.checkpoints import router as checkpoints
from lianfang.registry.imports.sheets import MAX_UPLOAD_BYTES
from lianfang.registry.models import OperationEntry
from lianfang.registry.posters import router as posters
from lianfang.registry.regions import router as regions
from lianfang.registry.settings import RegistrySettings
from lianfang.registry.templates import router as templates

__all__ = ["MIGRATIONS", "PREFIX", "create_app"]

PREFIX = REGISTRY
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: RegistrySettings | None = None, *, gateway_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The registry. `gateway_transport` stands in for the network where the gateway runs in the same process."""
    settings = settings or RegistrySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime() as runtime:
            app.state.database = runtime.database("registry-db", settings.registry_database_url)
            # Read by the typed dependencies of `lianfang.registry.deps`.
            app.state.cache = runtime.cache(settings.redis_url)
            app.state.accounts = AccountsClient(runtime.http_client(settings.gateway_url, gateway_transport))
            app.state.font = load_chinese_font(settings.chinese_font_path, settings.chinese_font_index)
            app.state.cards = PersonalCards(settings.pii_keys)
            app.state.readiness = runtime.readiness
            await ensure_root_region(app.state.database, settings)
            await ensure_builtin_templates(app.state.database)
            retention = Retention(
                "operation log", OperationEntry.id, OperationEntry.at, settings.operation_log_retention_days
            )
            runtime.background(
                "registry-operation-log-retention",
                lambda stopping: purge_periodically(
                    app.state.database,
                    [retention],
                    interval_seconds=settings.log_purge_interval_seconds,
                    stopping=stopping,
                ),
            )
            yield

    app = create_service_app(
        service="registry",
        prefix=PREFIX,
        title="Lianfang 地区、卡口与表单",
        settings=settings,
        lifespan=lifespan,
        # A spreadsheet may be larger than the limit every other request is held to; multipart framing adds a little.
        body_limits={f"{PREFIX}/checkpoints/import": MAX_UPLOAD_BYTES + 64 * 1024},
    )
    add_routers(
        app,
        regions.router,
        templates.router,
        checkpoints.router,
        checkpoints.internal_router,
        posters.router,
        cards.router,
        operation_log_router(PREFIX, OperationEntry, "regions, checkpoints and templates, and which imports ran"),
    )
    return app
