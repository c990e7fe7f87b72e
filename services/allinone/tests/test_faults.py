"""The fault suite of issue 12: faults in the middle of a stream of check-ins and decisions at an audited gate, then
exact counts (`faults.check_the_promises`). Each case is bounded in time and stops by itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from lianfang.allinone.app import AllInOne
from lianfang.common.cache import connect_cache
from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Backend, Stores

from .conftest import System, system_settings
from .faults import Stream, check_the_promises, own_redis
from .test_pipeline import setup_gate

pytestmark = pytest.mark.usefixtures("backend")


@asynccontextmanager
async def running(stores: Stores, redis_url: str, broker_url: str, data_dir: Path) -> AsyncIterator[System]:
    app = AllInOne(await system_settings(stores, redis_url, broker_url, data_dir))
    async with serve(app.root, asgi=app.asgi) as client:
        yield System(client, app)


async def flush(redis_url: str) -> None:
    cache: Redis = connect_cache(redis_url)
    try:
        await cache.flushall()
    finally:
        await cache.aclose()


async def test_redis_flushed_in_the_middle_of_a_stream(
    backend: Backend, stores: Stores, redis_url: str, broker_url: str, tmp_path: Path
) -> None:
    """1. FLUSHALL after 1,000 of 2,000 check-ins, on a real Redis server of the test's own (the embedded run: 400
    check-ins, the in-process Redis)."""
    count = 2000 if backend.real else 400
    async with own_redis(tmp_path) if backend.real else _embedded(redis_url) as redis:
        url = redis.url if backend.real else redis_url
        async with running(stores, url, broker_url, tmp_path) as system:
            _, gate, guard = await setup_gate(system)
            stream = Stream(system.client, gate, guard)
            async with asyncio.timeout(240):
                await stream.run(count, faults={count // 2: lambda: flush(url)})
                counts = await check_the_promises(stream, system.app.settings.ingest.records_database_url, count)
    assert counts["confirmed"] == counts["stored"] == count
    assert system.app.services["/api/checkin"].state.projection.rebuilds >= 2


async def test_redis_restarted_without_its_data_in_the_middle_of_a_stream(
    backend: Backend, stores: Stores, broker_url: str, tmp_path: Path
) -> None:
    """2. The Redis server (the test's own, on a spare port, without persistence) killed and started again after 300 of
    600 check-ins."""
    if not backend.real:
        pytest.skip("starts a Redis server of its own: runs with the real servers (LIANFANG_TEST_*)")
    async with own_redis(tmp_path) as redis, running(stores, redis.url, broker_url, tmp_path) as system:
        _, gate, guard = await setup_gate(system)
        stream = Stream(system.client, gate, guard)
        async with asyncio.timeout(180):
            await stream.run(600, faults={300: redis.restart})
            counts = await check_the_promises(stream, system.app.settings.ingest.records_database_url, 600)
    assert counts["confirmed"] == counts["stored"] == 600


class _Embedded:
    def __init__(self, url: str) -> None:
        self.url = url


@asynccontextmanager
async def _embedded(url: str) -> AsyncIterator[_Embedded]:
    yield _Embedded(url)
