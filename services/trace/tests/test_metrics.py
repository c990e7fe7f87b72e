from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.types import Receive, Scope, Send

from lianfang.common.testing import Scraped, scrape
from lianfang.trace.main import create_app
from lianfang.trace.metrics import QUERY_KINDS, QueryMetricsMiddleware, trace_metrics

from .conftest import RecordsStore
from .support import Person, admin, record

pytestmark = pytest.mark.usefixtures("backend")


def grew(before: Scraped, after: Scraped, kind: str) -> float:
    name = "lianfang_trace_query_seconds_count"
    return after.value(name, kind=kind) - before.value(name, kind=kind)


class TestQueryMetrics:
    async def test_each_query_is_timed_by_its_kind(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(record(Person("张三", "13812345678"), 4201, base))
        before = await scrape(client)
        assert (await client.get("/api/trace/records", headers=admin(1))).status_code == 200
        assert (await client.get("/api/trace/records", headers=admin(7))).status_code == 200
        stats = await client.get("/api/trace/stats", params={"from": base.isoformat()}, headers=admin(1))
        assert stats.status_code == 200, stats.text
        export = await client.get("/api/trace/export.csv", headers=admin(1))
        assert export.status_code == 200
        after = await scrape(client)

        assert grew(before, after, "records") == 2
        assert grew(before, after, "stats") == 1
        assert grew(before, after, "export") == 1
        assert grew(before, after, "trajectory") == 0
        assert after.value("lianfang_trace_exports_running") == 0
        assert after.value("lianfang_dependency_up", dependency="records-db") == 1

    async def test_an_export_counts_as_running_until_its_last_byte(self) -> None:
        release = asyncio.Event()
        started = asyncio.Event()

        async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            started.set()
            await release.wait()
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def ignore(message: object) -> None:
            del message

        async def nothing() -> dict[str, object]:
            return {"type": "http.request", "body": b""}

        scope: Scope = {"type": "http", "path": "/api/trace/export.xlsx", "method": "GET"}
        trace_metrics()

        def running() -> float | None:
            return REGISTRY.get_sample_value("lianfang_trace_exports_running")

        before = running()
        assert before is not None
        task = asyncio.create_task(QueryMetricsMiddleware(streaming)(scope, nothing, ignore))
        await started.wait()
        assert running() == before + 1
        release.set()
        await task
        assert running() == before


def test_every_route_of_trace_has_a_query_kind() -> None:
    assert set(create_app().openapi()["paths"]) == set(QUERY_KINDS)
