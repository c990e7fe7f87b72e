from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from sqlalchemy import Row, func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from lianfang.common.contracts.events import (
    Ancestry,
    CheckinCreated,
    CheckinDecided,
    Direction,
    PersonalData,
    RecordStatus,
    TemperatureSource,
    created_routing_key,
    decided_routing_key,
)
from lianfang.common.contracts.records import RecordsBase
from lianfang.common.db import Database, create_database
from lianfang.common.ids import new_id
from lianfang.common.messaging import (
    DEATH_REASON_HEADER,
    Broker,
    Topology,
    checkin_topology,
    connect_broker,
)
from lianfang.common.testing.plugin import Backend, Stores
from lianfang.ingest.main import MIGRATIONS
from lianfang.ingest.rows import KEYS, PENDING, RECORDS
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.worker import IngestWorker

CITY = "1301"


@dataclass(frozen=True)
class Names:
    """Unique per test, so runs on a shared RabbitMQ never see each other's messages (nor anyone's `ingest.checkins`)."""

    events: str
    dead: str
    queue: str
    dead_queue: str

    @classmethod
    def unique(cls) -> Names:
        suffix = uuid.uuid4().hex[:12]
        return cls(
            f"test.checkins.{suffix}", f"test.dead.{suffix}", f"test.ingest.{suffix}", f"test.ingest.dead.{suffix}"
        )

    @property
    def topology(self) -> Topology:
        """The shape of `LIANFANG_TOPOLOGY` under these names."""
        return checkin_topology(self.events, self.dead, self.queue, self.dead_queue)


@dataclass(frozen=True)
class DeadLetter:
    body: bytes
    reason: str
    message_id: str | None


def created(**changes: Any) -> CheckinCreated:
    """A check-in as the check-in service publishes it, at a unit four levels below the province."""
    checked_at = changes.pop("checked_at", datetime.now(UTC) - timedelta(minutes=5))
    values: dict[str, Any] = {
        "id": new_id(),
        "client_key": uuid.uuid4(),
        "city_code": CITY,
        "checked_at": checked_at,
        "checkpoint_id": 4201,
        "checkpoint_kind": "community",
        "region_id": 91,
        "ancestry": Ancestry(province_id=1, city_id=7, county_id=42, township_id=88, unit_id=91),
        "resident_id": uuid.uuid4(),
        "person": PersonalData(
            name_encrypted="k1.bmFtZQ==",
            name_hash="c" * 64,
            name_masked="张*",
            phone_encrypted="k1.cGhvbmU=",
            phone_hash="a" * 64,
            phone_masked="138****5678",
        ),
        "answers_encrypted": "k1.YW5zd2Vycw==",
        "template_id": 3,
        "template_version": 2,
        "temperature": 36.6,
        "temperature_source": TemperatureSource.measured,
        "temperature_measured_at": checked_at,
        "direction": Direction.entry,
        "status": RecordStatus.passed,
    }
    return CheckinCreated.model_validate(values | changes)


def decided(record: CheckinCreated, status: RecordStatus, **changes: Any) -> CheckinDecided:
    values: dict[str, Any] = {
        "record_id": record.id,
        "city_code": record.city_code,
        "checked_at": record.checked_at,
        "status": status,
        "decided_by": uuid.uuid4(),
        "decided_at": datetime.now(UTC),
        "reason": None,
    }
    return CheckinDecided.model_validate(values | changes)


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def handled(worker: IngestWorker, count: int) -> None:
    """Wait until the worker has acked `count` messages since it started."""

    async def done() -> bool:
        return worker.stats.messages >= count

    await eventually(done)


class Pipeline:
    """What a test needs around the worker: publish events, run workers, look into the store and the dead queue."""

    def __init__(self, settings: IngestSettings, database: Database, broker: Broker, names: Names) -> None:
        self.settings = settings
        self.database = database
        self.broker = broker
        self.names = names

    async def publish(self, *events: CheckinCreated | CheckinDecided) -> None:
        for event in events:
            key = (
                created_routing_key(event.city_code)
                if isinstance(event, CheckinCreated)
                else decided_routing_key(event.city_code)
            )
            await self.broker.publish(self.names.events, key, event.model_dump_json().encode())

    async def publish_raw(self, body: bytes, routing_key: str = f"checkin.created.{CITY}") -> None:
        await self.broker.publish(self.names.events, routing_key, body)

    def worker(
        self, *, database: Database | None = None, broker: Broker | None = None, **overrides: Any
    ) -> IngestWorker:
        settings = self.settings.model_copy(update=overrides) if overrides else self.settings
        return IngestWorker(
            settings,
            database or self.database,
            broker or self.broker,
            queue=self.names.queue,
            topology=self.names.topology,
        )

    @asynccontextmanager
    async def running(self, worker: IngestWorker | None = None) -> AsyncIterator[IngestWorker]:
        worker = worker or self.worker()
        task = asyncio.create_task(worker.run())
        try:
            yield worker
        finally:
            worker.stop()
            async with asyncio.timeout(15):
                await task

    async def records(self) -> list[Row[Any]]:
        async with self.database.engine.connect() as connection:
            return list((await connection.execute(select(RECORDS).order_by(RECORDS.c.checked_at))).all())

    async def count(self) -> int:
        async with self.database.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(RECORDS)) or 0)

    async def keys(self) -> int:
        async with self.database.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(KEYS)) or 0)

    async def pending(self) -> list[Row[Any]]:
        async with self.database.engine.connect() as connection:
            return list((await connection.execute(select(PENDING))).all())

    async def stored(self, count: int) -> None:
        async def enough() -> bool:
            return await self.count() >= count

        await eventually(enough)

    async def depth(self) -> int:
        return await self.broker.queue_depth(self.names.queue)

    async def dead_letters(self, count: int) -> list[DeadLetter]:
        """Take `count` messages from the dead-letter queue, and check that no more arrive."""
        letters: list[DeadLetter] = []
        async with self.broker.consume(self.names.dead_queue, prefetch=100) as consumer:
            async with asyncio.timeout(10):
                while len(letters) < count:
                    delivery = await anext(consumer)
                    letters.append(
                        DeadLetter(delivery.body, str(delivery.headers.get(DEATH_REASON_HEADER)), delivery.message_id)
                    )
                    await delivery.ack()
            with suppress(TimeoutError):
                async with asyncio.timeout(0.3):
                    extra = await anext(consumer)
                    raise AssertionError(f"an unexpected dead letter: {extra.body!r}")
        return letters


@asynccontextmanager
async def store_locked(database: Database) -> AsyncIterator[None]:
    """Another session keeps everyone else from writing to the records store: the worker's writes wait, then fail."""
    parsed = database.engine.url
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        path = parsed.database

        def lock() -> sqlite3.Connection:
            holder = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
            holder.execute("BEGIN EXCLUSIVE")
            return holder

        # Waits for a write of the worker in progress, however slow the machine, in a thread: the worker finishing
        # that write needs this event loop.
        holder = await asyncio.to_thread(lock)
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_async_engine(parsed)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("LOCK TABLES checkin_keys READ, records READ, pending_decisions READ"))
            try:
                yield
            finally:
                await connection.execute(text("UNLOCK TABLES"))
    finally:
        await engine.dispose()


@pytest.fixture
async def records_url(stores: Stores) -> str:
    return await stores.url("records", MIGRATIONS, RecordsBase.metadata)


@pytest.fixture
def names() -> Names:
    return Names.unique()


def ingest_settings(records_url: str, broker_url: str, **overrides: Any) -> IngestSettings:
    values: dict[str, Any] = {
        "records_database_url": records_url,
        "broker_url": broker_url,
        "ingest_prefetch": 200,
        "ingest_batch_size": 50,
        "ingest_flush_ms": 20,
        "ingest_retry_initial_ms": 50,
        "ingest_retry_max_ms": 200,
        "ingest_lock_wait_seconds": 1,
    }
    return IngestSettings.model_validate(values | overrides)


@pytest.fixture
def settings(records_url: str, broker_url: str, backend: Backend) -> IngestSettings:
    return ingest_settings(records_url, broker_url, **backend.records_settings)


@pytest.fixture
async def database(settings: IngestSettings) -> AsyncIterator[Database]:
    database = create_database(settings.records_engine_url)
    yield database
    await database.dispose()


@pytest.fixture
async def broker(backend: Backend, broker_url: str, names: Names) -> AsyncIterator[Broker]:
    broker = connect_broker(broker_url)
    await broker.declare(names.topology)
    try:
        yield broker
    finally:
        await broker.close()
        if backend.real:
            await delete_from_rabbitmq(broker_url, names.topology)


async def delete_from_rabbitmq(url: str, topology: Topology) -> None:
    async with await aio_pika.connect(url) as connection:
        channel = connection.channel()
        await channel.initialize()
        for queue in topology.queues:
            await channel.queue_delete(queue.name)
        for exchange in topology.exchanges:
            await channel.exchange_delete(exchange.name)
        await channel.close()


@pytest.fixture
def pipeline(settings: IngestSettings, database: Database, broker: Broker, names: Names) -> Pipeline:
    return Pipeline(settings, database, broker, names)
