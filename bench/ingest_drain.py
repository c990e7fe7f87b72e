"""Ingest drain: one worker empties a queue of check-ins into the records store.

`uv run python bench/ingest_drain.py [--count 100000]` from the workspace root. N realistic `CheckinCreated` events are
published first (to RabbitMQ when `LIANFANG_TEST_AMQP_URL` is set, under names of the run's own so nobody's
`ingest.checkins` is touched), then one `IngestWorker` with the default settings (prefetch 2,000, batches of 500, 50 ms,
its writer process with RabbitMQ) is started and timed until it has acked the last message. Into MariaDB
(`LIANFANG_TEST_MYSQL_URL`: a scratch database, made and dropped) and SQLite; and the all-in-one pairing, SQLite with
the in-process broker, for comparison. Each event in a message of its own, as the check-in service publishes a lone
check-in; and, into MariaDB, ten events a message, as it publishes at the morning rush.
Goal (issue 4): at least 8,000 rows/s from RabbitMQ into MariaDB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
from harness import scratch_database, write_results
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from lianfang.common.contracts.events import (
    Ancestry,
    CheckinCreated,
    Direction,
    PersonalData,
    RecordStatus,
    TemperatureSource,
    batch_body,
    created_routing_key,
)
from lianfang.common.db import Database, create_database
from lianfang.common.db.migrate import upgrade
from lianfang.common.ids import new_id
from lianfang.common.messaging import (
    Broker,
    OutgoingMessage,
    Topology,
    checkin_topology,
    connect_broker,
)
from lianfang.ingest.main import MIGRATIONS
from lianfang.ingest.rows import RECORDS
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.worker import IngestWorker

__all__ = ["main"]

GOAL_ROWS_PER_SECOND = 8_000
PUBLISH_CHUNK = 2_000
CITIES = [f"13{number:02d}" for number in range(1, 12)]  # the 11 cities of the reference deployment


@dataclass(frozen=True)
class Names:
    events: str
    dead: str
    queue: str
    dead_queue: str

    @classmethod
    def unique(cls) -> Names:
        run = uuid.uuid4().hex[:8]
        return cls(f"bench.checkins.{run}", f"bench.dead.{run}", f"bench.ingest.{run}", f"bench.ingest.dead.{run}")

    @property
    def topology(self) -> Topology:
        return checkin_topology(self.events, self.dead, self.queue, self.dead_queue)


@dataclass(frozen=True)
class Run:
    broker: str
    store: str
    events_per_message: int
    rows: int
    publish_seconds: float
    drain_seconds: float
    batches: int
    commit_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.drain_seconds

    def line(self) -> str:
        return (
            f"| {self.broker} | {self.store} | {self.events_per_message} | {self.rows:,} "
            f"| {self.rows / self.publish_seconds:,.0f} "
            f"| {self.drain_seconds:.2f} | **{self.rows_per_second:,.0f}** | {self.batches:,} "
            f"| {self.rows / self.batches:,.0f} | {self.commit_seconds / self.batches * 1000:.1f} |"
        )


def _encrypted(rng: random.Random, length: int) -> str:
    """What `PiiCipher` makes: a key id and base64 of nonce, ciphertext and tag."""
    return "k1." + base64.urlsafe_b64encode(rng.randbytes(12 + length + 16)).decode()


def _events(count: int, seed: int = 20261125) -> list[OutgoingMessage]:
    """Morning-peak check-ins: 11 cities, 40,000 checkpoints, most residents with a phone, a few entered by hand."""
    rng = random.Random(seed)  # noqa: S311 - made-up data
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    bodies = []
    for number in range(count):
        city = rng.choice(CITIES)
        checked_at = start + timedelta(hours=7, seconds=number * 3600 / count, microseconds=rng.randrange(1_000_000))
        by_hand = rng.random() < 0.03
        fever = rng.random() < 0.002
        pending = not fever and rng.random() < 0.1
        temperature = round(rng.uniform(37.3, 38.5) if fever else rng.uniform(36.0, 37.1), 1)
        reused = rng.random() < 0.6
        event = CheckinCreated(
            id=new_id(),
            client_key=uuid.uuid4(),
            city_code=city,
            checked_at=checked_at,
            checkpoint_id=rng.randrange(1, 40_000),
            checkpoint_kind=rng.choice(["community", "market", "hospital", "office", "bus", "station", "school"]),
            region_id=rng.randrange(100, 20_000),
            ancestry=Ancestry(
                province_id=1,
                city_id=CITIES.index(city) + 2,
                county_id=rng.randrange(20, 200),
                township_id=rng.randrange(200, 3_000),
                unit_id=rng.randrange(3_000, 20_000),
            ),
            resident_id=None if by_hand else uuid.uuid4(),
            entered_by=uuid.uuid4() if by_hand else None,
            person=PersonalData(
                name_encrypted=_encrypted(rng, 9),
                name_masked="张*",
                phone_encrypted=_encrypted(rng, 11),
                phone_hash=rng.randbytes(32).hex(),
                phone_masked=f"1{rng.randrange(30, 99)}****{rng.randrange(10_000):04d}",
                id_card_encrypted=_encrypted(rng, 18) if by_hand else None,
                id_card_hash=rng.randbytes(32).hex() if by_hand else None,
                id_card_masked="1301**********123X" if by_hand else None,
            ),
            answers_encrypted=_encrypted(rng, rng.randrange(120, 400)),
            template_id=rng.randrange(1, 50),
            template_version=rng.randrange(1, 4),
            temperature=temperature,
            temperature_source=TemperatureSource.reused if reused else TemperatureSource.measured,
            temperature_measured_at=checked_at - timedelta(minutes=rng.randrange(0, 240)) if reused else checked_at,
            direction=Direction.exit if rng.random() < 0.2 else Direction.entry,
            status=RecordStatus.abnormal if fever else RecordStatus.pending if pending else RecordStatus.passed,
        )
        bodies.append(OutgoingMessage(created_routing_key(city), event.model_dump_json().encode()))
    return bodies


def _together(events: list[OutgoingMessage], per_message: int) -> list[OutgoingMessage]:
    """The events in messages of `per_message` events of one routing key, as the check-in service sends them."""
    if per_message == 1:
        return events
    by_key: dict[str, list[bytes]] = {}
    for event in events:
        by_key.setdefault(event.routing_key, []).append(event.body)
    return [
        OutgoingMessage(key, batch_body(bodies[start : start + per_message]))
        for key, bodies in by_key.items()
        for start in range(0, len(bodies), per_message)
    ]


async def _publish(broker: Broker, names: Names, messages: list[OutgoingMessage]) -> float:
    started = time.perf_counter()
    for start in range(0, len(messages), PUBLISH_CHUNK):
        await broker.publish_many(names.events, messages[start : start + PUBLISH_CHUNK])
    return time.perf_counter() - started


@asynccontextmanager
async def _store(kind: str, workdir: Path) -> AsyncIterator[str]:
    """A migrated, empty records store, dropped afterwards."""
    mysql = os.environ.get("LIANFANG_TEST_MYSQL_URL")
    if kind == "SQLite" or mysql is None:
        url = f"sqlite+aiosqlite:///{workdir / f'records-{uuid.uuid4().hex[:8]}.db'}"
        await upgrade(MIGRATIONS, url)
        yield url
        return
    async with scratch_database(mysql, "lianfang_bench_ingest") as url:
        await upgrade(MIGRATIONS, url)
        yield url


async def _delete(url: str, topology: Topology) -> None:
    async with await aio_pika.connect(url) as connection:
        channel = connection.channel()
        await channel.initialize()
        for queue in topology.queues:
            await channel.queue_delete(queue.name)
        for exchange in topology.exchanges:
            await channel.exchange_delete(exchange.name)


def _commit_seconds() -> float:
    return REGISTRY.get_sample_value("lianfang_ingest_commit_seconds_sum") or 0.0


@dataclass(frozen=True)
class Drained:
    seconds: float
    batches: int
    commit_seconds: float


async def run_until_drained(
    worker: IngestWorker, database: Database, *, messages: int, rows: int, store: str
) -> Drained:
    """Runs the worker, its writer started, until it has taken `messages` messages; the store must then hold `rows`."""
    committed = _commit_seconds()
    started = time.perf_counter()
    task = asyncio.create_task(worker.run())
    while worker.stats.messages < messages:
        if task.done():
            task.result()
            raise SystemExit("the worker stopped before the queue was empty")
        await asyncio.sleep(0.005)
    seconds = time.perf_counter() - started
    worker.stop()
    await task
    async with database.engine.connect() as connection:
        stored = await connection.scalar(select(func.count()).select_from(RECORDS))
    if stored != rows:
        raise SystemExit(f"{store}: {stored} rows stored of {rows}")
    return Drained(seconds, worker.stats.batches, _commit_seconds() - committed)


async def _drain(
    broker_kind: str, store_kind: str, per_message: int, events: list[OutgoingMessage], workdir: Path
) -> Run:
    amqp = os.environ.get("LIANFANG_TEST_AMQP_URL")
    broker_url = amqp if broker_kind == "RabbitMQ" and amqp else f"memory://bench-{uuid.uuid4().hex}"
    names = Names.unique()
    async with _store(store_kind, workdir) as store_url:
        settings = IngestSettings(records_database_url=store_url, broker_url=broker_url)
        broker = connect_broker(broker_url, timeout=30)
        database = create_database(settings.records_engine_url, pool_size=3, max_overflow=2)
        try:
            await broker.declare(names.topology)
            bodies = _together(events, per_message)
            publish_seconds = await _publish(broker, names, bodies)
            worker = IngestWorker(
                settings,
                database,
                broker,
                queue=names.queue,
                topology=names.topology,
            )
            await worker.writer.start()  # the writer process's spawn is paid once per worker, not per message
            drained = await run_until_drained(
                worker, database, messages=len(bodies), rows=len(events), store=store_kind
            )
            return Run(
                broker_kind,
                store_kind,
                per_message,
                len(events),
                publish_seconds,
                drained.seconds,
                drained.batches,
                drained.commit_seconds,
            )
        finally:
            await database.dispose()
            await broker.close()
            if amqp and broker_url == amqp:
                await _delete(amqp, names.topology)


async def _measure(count: int, pairs: list[tuple[str, str, int]]) -> list[Run]:
    events = _events(count)
    runs = []
    with tempfile.TemporaryDirectory() as workdir:
        for broker_kind, store_kind, per_message in pairs:
            run = await _drain(broker_kind, store_kind, per_message, events, Path(workdir))
            print(run.line(), flush=True)
            runs.append(run)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="check-ins to publish and drain (100,000)")
    args = parser.parse_args()
    rabbitmq = bool(os.environ.get("LIANFANG_TEST_AMQP_URL"))
    mariadb = bool(os.environ.get("LIANFANG_TEST_MYSQL_URL"))
    pairs = [("RabbitMQ", "MariaDB", 1), ("RabbitMQ", "MariaDB", 10)] if rabbitmq and mariadb else []
    pairs += [("RabbitMQ", "SQLite", 1)] if rabbitmq else []
    pairs += [("in-process", "SQLite", 1)]
    header = [
        "| broker | store | events/message | rows | published/s | drain s | rows/s | batches | rows/batch | ms/commit |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    print("\n".join(header), flush=True)
    runs = asyncio.run(_measure(args.count, pairs))
    goal = (
        f"Goal: at least {GOAL_ROWS_PER_SECOND:,} rows/s from RabbitMQ into MariaDB with one worker. The queue is filled "
        "first (`published/s`: confirmed publishes, 2,000 in flight), then one `IngestWorker` with the default settings "
        "(prefetch 2,000, batches of 500, flush after 50 ms, two batches in flight) is timed from its start to the ack "
        "of the last message. With RabbitMQ the worker parses and writes in its writer process (started before the "
        "clock), so receiving and writing use both cores; with the in-process broker it writes inline, as the "
        "all-in-one server does. On MariaDB a batch goes in as one binary COM_STMT_BULK_EXECUTE (asyncmy's prepared "
        "statements). `ms/commit`: mean time to write and commit one batch (`lianfang_ingest_commit_seconds`). The "
        "machine is shared: run it when nothing else does."
    )
    body = goal + "\n\n" + "\n".join(header + [run.line() for run in runs])
    print(write_results("ingest_drain", "Ingest drain: one worker, queue to records store", body))
    if not (rabbitmq and mariadb):
        print("RabbitMQ and MariaDB skipped: set LIANFANG_TEST_AMQP_URL and LIANFANG_TEST_MYSQL_URL to measure them")
    slow = [
        run
        for run in runs
        if run.store == "MariaDB" and run.events_per_message == 1 and run.rows_per_second < GOAL_ROWS_PER_SECOND
    ]
    if slow:
        sys.exit(f"under {GOAL_ROWS_PER_SECOND:,} rows/s into MariaDB")


if __name__ == "__main__":
    main()
