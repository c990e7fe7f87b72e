from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from lianfang.common.app import create_service_app
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.runtime import Runtime
from lianfang.registry.bootstrap import ensure_root_region
from lianfang.registry.deps import RegistryParts
from lianfang.registry.regions import router as regions
from lianfang.registry.settings import RegistrySettings

__all__ = ["MIGRATIONS", "PREFIX", "create_app"]

PREFIX = REGISTRY
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime() as runtime:
            app.state.database = runtime.database("registry-db", settings.registry_database_url)
            app.state.parts = RegistryParts(settings=settings, cache=runtime.cache(settings.redis_url))
            app.state.readiness = runtime.readiness
            await ensure_root_region(app.state.database, settings)
            yield

    app = create_service_app(
        service="registry", prefix=PREFIX, title="Lianfang 地区、卡口与表单", settings=settings, lifespan=lifespan
    )
    app.include_router(regions.router)
    return app
