from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from lianfang.common.contracts.records import Record, RecordsBase
from lianfang.common.contracts.rollups import hour_of, recount
from lianfang.common.db import Database, create_database
from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Backend, Stores
from lianfang.trace.main import MIGRATIONS, create_app
from lianfang.trace.models import AccessLogEntry, TraceBase
from lianfang.trace.settings import TraceSettings

from .support import FakeGateway, FakeRegistry

# The records store's history belongs to the ingest worker, whose code no other service imports.
RECORDS_MIGRATIONS = Path(__file__).resolve().parents[2] / "ingest-worker" / "migrations"


class RecordsStore:
    """The records store as the ingest worker fills it: records, and the rollups that count them. On a sharded store
    `add` returns once the replicas behind the read front have them."""

    def __init__(self, database: Database, caught_up: Callable[[], Awaitable[None]]) -> None:
        self.database = database
        self.caught_up = caught_up

    async def add(self, *records: Record) -> list[Record]:
        async with self.database.sessionmaker.begin() as session:
            session.add_all(records)
        if records:
            # The worker counts each record as it stores it; here the hours they fall in are counted again.
            start = hour_of(min(record.checked_at for record in records))
            end = hour_of(max(record.checked_at for record in records)) + timedelta(hours=1)
            async with self.database.engine.begin() as connection:
                for province_id in {record.province_id for record in records}:
                    await recount(connection, province_id, start, end)
        await self.caught_up()
        return list(records)


class AccessLogStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, *entries: AccessLogEntry) -> None:
        async with self.database.sessionmaker.begin() as session:
            session.add_all(entries)

    async def entries(self) -> list[AccessLogEntry]:
        async with self.database.sessionmaker() as session:
            return list((await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))).all())


@pytest.fixture
async def records_url(stores: Stores) -> str:
    return await stores.url("records", RECORDS_MIGRATIONS, RecordsBase.metadata)


@pytest.fixture
async def trace_url(stores: Stores) -> str:
    return await stores.url("trace", MIGRATIONS, TraceBase.metadata)


@pytest.fixture
def settings(records_url: str, trace_url: str, backend: Backend) -> TraceSettings:
    return TraceSettings(
        records_database_url=records_url,
        records_read_database_url=backend.read_url("records"),
        trace_database_url=trace_url,
        registry_url="http://registry.test",
    )


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
async def client(
    settings: TraceSettings, registry: FakeRegistry, gateway: FakeGateway
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings,
        registry_transport=httpx.MockTransport(registry.handle),
        gateway_transport=httpx.MockTransport(gateway.handle),
    )
    async with serve(app) as running:
        yield running


@pytest.fixture
async def store(records_url: str, backend: Backend) -> AsyncIterator[RecordsStore]:
    database = create_database(records_url)
    yield RecordsStore(database, backend.caught_up)
    await database.dispose()


@pytest.fixture
async def access_log(trace_url: str) -> AsyncIterator[AccessLogStore]:
    database = create_database(trace_url)
    yield AccessLogStore(database)
    await database.dispose()


@pytest.fixture
def base() -> datetime:
    """A whole minute three days ago: every test's records fall around it, inside the default periods."""
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=3)
