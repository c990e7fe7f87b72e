from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from lianfang.common.app import add_routers, create_service_app
from lianfang.common.chinese_font import load_chinese_font
from lianfang.common.contracts.paths import TRACE
from lianfang.common.db.retention import Retention, purge_periodically
from lianfang.common.pii import PiiCipher
from lianfang.common.runtime import Runtime
from lianfang.trace.alerts import router as alerts
from lianfang.trace.audit import router as audit
from lianfang.trace.audit.service import AccessLog
from lianfang.trace.contacts import router as contacts
from lianfang.trace.directory import RegistryDirectory
from lianfang.trace.export import router as export
from lianfang.trace.metrics import QueryMetricsMiddleware, trace_metrics
from lianfang.trace.models import AccessLogEntry
from lianfang.trace.notices import router as notices
from lianfang.trace.notices.gateway import GatewayNotices
from lianfang.trace.records import router as records
from lianfang.trace.reports import router as reports
from lianfang.trace.settings import TraceSettings
from lianfang.trace.stats import router as stats
from lianfang.trace.trajectory import router as trajectory

__all__ = ["MIGRATIONS", "PREFIX", "create_app"]

PREFIX = TRACE
# The access log's history; the records store's is the ingest worker's.
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: TraceSettings | None = None,
    *,
    registry_transport: httpx.AsyncBaseTransport | None = None,
    gateway_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The trace service. `registry_transport` and `gateway_transport` stand in for the network where the registry
    and the gateway run in the same process (the all-in-one server) or are faked (tests)."""
    settings = settings or TraceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime() as runtime:
            audit_database = runtime.database("trace-db", settings.trace_database_url, pool_size=5, max_overflow=5)
            app.state.database = audit_database
            # Read by the typed dependencies of `lianfang.trace.deps` and `lianfang.trace.audit.service`.
            app.state.pii = PiiCipher(settings.pii_keys)
            app.state.directory = RegistryDirectory(
                runtime.http_client(settings.registry_url, registry_transport),
                cache_seconds=settings.names_cache_seconds,
                cache_size=settings.names_cache_size,
                concurrency=settings.registry_concurrency,
            )
            app.state.records = runtime.database("records-db", settings.records_read_url)
            app.state.access_log = AccessLog(audit_database)
            app.state.font = load_chinese_font(settings.chinese_font_path, settings.chinese_font_index)
            app.state.gateway = GatewayNotices(
                runtime.http_client(settings.gateway_url, gateway_transport, timeout=30.0)
            )
            app.state.readiness = runtime.readiness
            # On /metrics from the start, at zero, rather than from the first request.
            trace_metrics()
            runtime.background(
                "trace-audit-retention",
                lambda stopping: purge_periodically(
                    audit_database,
                    [Retention("access log", AccessLogEntry.id, AccessLogEntry.at, settings.audit_retention_days)],
                    interval_seconds=settings.audit_purge_interval_seconds,
                    stopping=stopping,
                    at_start=True,
                ),
            )
            yield

    app = create_service_app(
        service="trace", prefix=PREFIX, title="Lianfang 记录、轨迹与密接", settings=settings, lifespan=lifespan
    )
    add_routers(
        app,
        records.router,
        trajectory.router,
        contacts.router,
        notices.router,
        stats.router,
        alerts.router,
        export.router,
        reports.router,
        audit.router,
    )
    app.add_middleware(QueryMetricsMiddleware)
    return app
