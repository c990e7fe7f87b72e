"""The all-in-one server: every service in one process under the paths nginx uses, embedded backends, one data directory."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from lianfang.allinone.demo import DemoLogin, load_demo
from lianfang.allinone.dispatch import PrefixDispatcher
from lianfang.allinone.settings import IN_PROCESS_ORIGIN, AllInOneSettings
from lianfang.allinone.web import web_router
from lianfang.allinone.wechat_verify import wechat_verify_router
from lianfang.checkin import main as checkin
from lianfang.common.app import add_routers
from lianfang.common.contracts.regions import ROOT_REGION_ID
from lianfang.common.db.migrate import upgrade
from lianfang.common.errors import install_error_handlers
from lianfang.common.observability import health_router
from lianfang.gateway import main as gateway
from lianfang.ingest import main as ingest
from lianfang.registry import main as registry
from lianfang.trace import main as trace

__all__ = ["AllInOne", "migrate_all"]

# How long a start waits for the gate's state to be rebuilt from the records store.
STATE_REBUILD_SECONDS = 600.0


async def migrate_all(settings: AllInOneSettings) -> None:
    await upgrade(gateway.MIGRATIONS, settings.gateway.accounts_database_url)
    await upgrade(registry.MIGRATIONS, settings.registry.registry_database_url)
    await upgrade(ingest.MIGRATIONS, settings.ingest.records_database_url)
    await upgrade(trace.MIGRATIONS, settings.trace.trace_database_url)


class AllInOne:
    """The composed ASGI app and its parts; `asgi` is what uvicorn (or a test's transport) runs."""

    def __init__(
        self,
        settings: AllInOneSettings,
        *,
        demo: bool = False,
        on_ready: Callable[[list[DemoLogin]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.demo = demo
        self.on_ready = on_ready
        # Services call each other over HTTP in the cluster; here the same clients go through this very app, in-process.
        self.internal = httpx.ASGITransport(app=self._forward)
        self.services: dict[str, FastAPI] = {
            registry.PREFIX: registry.create_app(settings.registry, gateway_transport=self.internal),
            gateway.PREFIX: gateway.create_app(settings.gateway, registry_transport=self.internal),
            checkin.PREFIX: checkin.create_app(
                settings.checkin,
                registry_transport=self.internal,
                gateway_transport=self.internal,
                trace_transport=self.internal,
            ),
            trace.PREFIX: trace.create_app(
                settings.trace, registry_transport=self.internal, gateway_transport=self.internal
            ),
        }
        # The ingest worker has no API: only its lifespan (the worker, on the in-process broker) and its readiness.
        self.worker = ingest.create_app(settings.ingest)
        self.root = FastAPI(title="Lianfang", lifespan=self._lifespan, openapi_url=None, docs_url=None, redoc_url=None)
        install_error_handlers(self.root)
        # The check-in page's SSI includes, answered in-process as nginx answers them from the check-in service.
        self.includes = httpx.AsyncClient(transport=self.internal, base_url=IN_PROCESS_ORIGIN, trust_env=False)
        add_routers(
            self.root,
            health_router(),
            wechat_verify_router(settings.wechat_verify),
            web_router(settings.web_dir, self._include),
        )
        self.asgi: ASGIApp = PrefixDispatcher(dict(self.services), self.root)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)

    async def _include(self, uri: str) -> str:
        try:
            response = await self.includes.get(uri)
        except httpx.HTTPError:
            return ""
        return response.text if response.status_code == 200 else ""

    @asynccontextmanager
    async def _lifespan(self, root: FastAPI) -> AsyncIterator[None]:
        await migrate_all(self.settings)
        async with AsyncExitStack() as stack:
            stack.push_async_callback(self.includes.aclose)
            # Starlette runs no lifespan of a sub-app: each service's is entered here, the registry first (the root region).
            apps = [*self.services.values(), self.worker]
            for app in apps:
                await stack.enter_async_context(app.router.lifespan_context(app))
            # One check per dependency: every service holds its own client of the shared Redis, one is enough to ask.
            checks = [check for app in apps for check in app.state.readiness]
            root.state.readiness = list({check.name: check for check in checks}.values())
            root.state.metric_refreshers = [
                refresher for app in apps for refresher in getattr(app.state, "metric_refreshers", [])
            ]
            # The gate's state, rebuilt from the records store (the in-process Redis starts empty), once the worker runs.
            async with asyncio.timeout(STATE_REBUILD_SECONDS):
                await self.services[checkin.PREFIX].state.projection.wait_rebuilt()
            logins = await self._demo_logins()
            if self.on_ready is not None:
                self.on_ready(logins)
            yield

    async def _demo_logins(self) -> list[DemoLogin]:
        """Loads the demo on the first start with `demo`; later starts print the logins it made."""
        record = self.settings.data_dir / "demo.json"
        if record.exists():
            return [DemoLogin(**login) for login in json.loads(record.read_text())]
        if not self.demo:
            return []
        async with httpx.AsyncClient(transport=self.internal, base_url=IN_PROCESS_ORIGIN) as client:
            gateway_settings = self.settings.gateway
            assert gateway_settings.root_password is not None
            logins = await load_demo(
                client, gateway_settings.root_username, gateway_settings.root_password, ROOT_REGION_ID
            )
        record.write_text(json.dumps([asdict(login) for login in logins], ensure_ascii=False, indent=1))
        return logins
