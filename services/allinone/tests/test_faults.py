"""The fault suite of issue 12: faults in the middle of a stream of check-ins and decisions at an audited gate, then
exact counts (`faults.check_the_promises`). Each case is bounded in time and stops by itself."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import NullPool, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

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
    settings = await system_settings(stores, redis_url, broker_url, data_dir)
    # The streams post one resident's check-ins far faster than a person's share, which the per-resident limit refuses.
    unlimited = settings.checkin.model_copy(update={"checkin_burst": 1000, "checkin_rate_per_second": 100.0})
    app = AllInOne(dataclasses.replace(settings, checkin=unlimited))
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


async def cut_database(records_url: str, seconds: float) -> None:
    """Kills every connection to the records database, again and again for `seconds`, and holds its tables locked
    meanwhile (a write squeezed in between two kills waits for the lock, then fails): the store is unreachable."""
    url = make_url(records_url)
    admin = create_async_engine(url.set(database="information_schema"), poolclass=NullPool)
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    tables = ", ".join(f"`{url.database}`.{table} WRITE" for table in ("records", "checkin_keys", "pending_decisions"))
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f"LOCK TABLES {tables}"))
            while loop.time() < until:
                rows = await connection.execute(
                    text("SELECT id FROM processlist WHERE db = :db AND id <> CONNECTION_ID()"), {"db": url.database}
                )
                for (thread,) in rows.all():
                    with suppress(Exception):
                        await connection.execute(text(f"KILL {int(thread)}"))
                await asyncio.sleep(0.1)
            await connection.execute(text("UNLOCK TABLES"))
    finally:
        await admin.dispose()


async def test_the_records_store_unreachable_for_20_seconds_in_the_middle_of_ingest(
    backend: Backend, stores: Stores, redis_url: str, broker_url: str, tmp_path: Path
) -> None:
    """4. Every connection to the records database killed for 20 s after 200 of 600 check-ins (the machine's MariaDB
    stays up: only this test's database is cut)."""
    if not backend.real:
        pytest.skip("kills connections on MariaDB: runs with the real servers (LIANFANG_TEST_*)")
    async with running(stores, redis_url, broker_url, tmp_path) as system:
        _, gate, guard = await setup_gate(system)
        records_url = system.app.settings.ingest.records_database_url
        stream = Stream(system.client, gate, guard)
        async with asyncio.timeout(180):
            await stream.run(600, faults={200: lambda: cut_database(records_url, 20)})
            counts = await check_the_promises(stream, records_url, 600)
        failures = system.app.worker.state.worker.stats.write_failures
    assert counts["confirmed"] == counts["stored"] == 600
    # The worker did meet the cut: its writes failed, were held and written again.
    assert failures > 0
