"""The sharded records store: the ingest drain through the Spider write front over two shards, as a share of the same
drain into one backend directly, with the replicas' lag while it runs; then trace on the bench's records through the
read front.

`uv run python bench/shards.py [--count 100000] [--records 10000000]` from the workspace root, with the
`LIANFANG_TEST_*` servers set (RabbitMQ for the queue; MariaDB for the registry and the bench's generated records, as
`bench/trace_queries.py` makes them). The local topology (`lianfang shards up`) is started if it is not running, and
stopped afterwards if this started it.

- Drain: N check-ins of the 11 cities are published, then one `IngestWorker` with the default settings drains them,
  once into a fresh database on s1's primary directly (unsharded settings: the binary bulk protocol), once through the
  write front with `LIANFANG_RECORDS_SHARD_MAP` (a batch a node at a time, text multi-row INSERTs). Goal: the front's
  rows/s at least 60 % of the direct run's. While the front's drain runs, each shard's replica is asked every half
  second how long it takes to reach the position its primary has just written (`MASTER_GTID_WAIT`).
- Trace: the bench's records (`lianfang_bench_records` on the `LIANFANG_TEST_MYSQL_URL` server, generated once by
  `bench/trace_queries.py`) are copied city by city onto their shards, as docs/SCALING.md moves a store, and
  `bench/trace_queries.py`'s queries run against trace reading through the read front. Same goals as unsharded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from harness import write_results
from ingest_drain import Names, _delete, _events, _publish, run_until_drained
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from trace_queries import RECORDS_DATABASE, Databases, ensure_records, measure

from lianfang.allinone.demo_records.store import indexes_built_after
from lianfang.common.db import create_database
from lianfang.common.db.migrate import ensure_database, upgrade
from lianfang.common.messaging import connect_broker
from lianfang.common.shards import ShardedStore, ShardMap
from lianfang.common.shards.map import Node
from lianfang.common.shards.migrate import migrate_sharded
from lianfang.ingest.main import MIGRATIONS
from lianfang.ingest.rows import RECORDS
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.worker import IngestWorker
from lianfang.trace.settings import TraceSettings

__all__ = ["main"]

MAP = Path("deploy/shards.toml")
WRITE_FRONT = "mysql+asyncmy://root@127.0.0.1:3309"
READ_FRONT = "mysql+asyncmy://root@127.0.0.1:3319"
GOAL_SHARE = 0.60
LAG_EVERY_SECONDS = 0.5
# The bench's records span 30 days: the copy's months are partitioned from this far back.
COPIED_DAYS = 40
TABLES = ("records", "record_hours", "record_days")


def _lianfang(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "lianfang"), *args], capture_output=True, text=True, check=False
    )


@asynccontextmanager
async def topology() -> AsyncIterator[None]:
    """The local shards, started when they are not running (and then stopped afterwards)."""
    started = "null" in _lianfang("shards", "status").stdout
    if started:
        done = _lianfang("shards", "up")
        if done.returncode != 0:
            raise SystemExit(f"lianfang shards up failed:\n{done.stdout}{done.stderr}")
    try:
        yield
    finally:
        if started:
            _lianfang("shards", "down")


@dataclass(frozen=True)
class Drain:
    store: str
    rows: int
    seconds: float
    batches: int
    commit_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    def line(self) -> str:
        return (
            f"| {self.store} | {self.rows:,} | {self.seconds:.2f} | **{self.rows_per_second:,.0f}** | {self.batches:,} "
            f"| {self.commit_seconds / max(self.batches, 1) * 1000:.1f} |"
        )


async def _drain(store: str, settings: IngestSettings, amqp: str, count: int) -> Drain:
    names = Names.unique()
    broker = connect_broker(amqp, timeout=30)
    database = create_database(settings.records_engine_url, pool_size=3, max_overflow=2)
    try:
        await broker.declare(names.topology)
        messages = _events(count)
        await _publish(broker, names, messages)
        worker = IngestWorker(settings, database, broker, queue=names.queue, topology=names.topology)
        await worker.writer.start()
        drained = await run_until_drained(worker, database, messages=len(messages), rows=count, store=store)
        return Drain(store, count, drained.seconds, drained.batches, drained.commit_seconds)
    finally:
        await database.dispose()
        await broker.close()
        await _delete(amqp, names.topology)


async def _lag_seconds(store: ShardedStore) -> float:
    """How long the slowest replica takes to reach what its primary has written by now."""
    slowest = 0.0
    for shard in store.shard_map.shards:
        node = store.shard_map.node(shard.name)
        primary = create_async_engine(store.backend_url(node), poolclass=NullPool)
        replica = create_async_engine(store.backend_url(node, "replica"), poolclass=NullPool)
        try:
            async with primary.connect() as connection:
                position = await connection.scalar(text("SELECT @@gtid_binlog_pos"))
            started = time.perf_counter()
            async with replica.connect() as connection:
                await connection.scalar(text(f"SELECT MASTER_GTID_WAIT('{position}', 60)"))
            slowest = max(slowest, time.perf_counter() - started)
        finally:
            await primary.dispose()
            await replica.dispose()
    return slowest


async def _sample_lag(store: ShardedStore, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(await _lag_seconds(store))
        await asyncio.sleep(LAG_EVERY_SECONDS)


async def _drop(*urls: str) -> None:
    for url in urls:
        parsed = make_url(url)
        server = create_async_engine(parsed.set(database=""), poolclass=NullPool)
        try:
            async with server.begin() as connection:
                await connection.execute(text(f"DROP DATABASE IF EXISTS `{parsed.database}`"))
        finally:
            await server.dispose()


async def drains(count: int, amqp: str) -> tuple[list[Drain], list[float]]:
    run = uuid.uuid4().hex[:8]
    shard_map = ShardMap.load(MAP)
    direct_url = ShardedStore(shard_map, f"{WRITE_FRONT}/lianfang_bench_direct_{run}", WRITE_FRONT).backend_url(
        shard_map.nodes[0]
    )
    store = ShardedStore(
        shard_map, f"{WRITE_FRONT}/lianfang_bench_front_{run}", f"{READ_FRONT}/lianfang_bench_front_{run}"
    )
    try:
        await ensure_database(direct_url)
        await upgrade(MIGRATIONS, direct_url)
        direct = await _drain(
            "one backend, directly", IngestSettings(records_database_url=direct_url, broker_url=amqp), amqp, count
        )
        print(direct.line(), flush=True)
        await migrate_sharded(store, MIGRATIONS)
        settings = IngestSettings(records_database_url=store.write_url, broker_url=amqp, records_shard_map=MAP)
        lags: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_lag(store, lags, stop))
        try:
            front = await _drain("two shards, through the write front", settings, amqp, count)
        finally:
            stop.set()
            await sampler
        lags.append(await _lag_seconds(store))
        print(front.line(), flush=True)
        return [direct, front], lags
    finally:
        await _drop(direct_url, store.write_url, store.read_url, *store.backend_urls().values())


@dataclass(frozen=True)
class ReadFront(Databases):
    """The bench's databases with the records read through the sharded store's read front."""

    read_url: str = ""

    def trace(self) -> TraceSettings:
        return super().trace().model_copy(update={"records_read_database_url": self.read_url})


async def _copy(server: str, store: ShardedStore) -> float:
    """The bench's records onto the shards by dump and load (docs/SCALING.md), the nodes side by side, each into its
    table without the secondary indexes, which are built after the load as `lianfang demo-records` builds them: loaded
    into every index, with the binlog and the replica beside it, the copy ran at 2,800 rows/s. Each replica is seeded
    with the same dump as its primary, neither load written to the binlog, as a replica is set up from a backup: ten
    million rows through the binlog and the relay log took four copies of the data, more than this machine's disk."""
    started = time.perf_counter()
    await asyncio.gather(*(_copy_node(make_url(server), store, node) for node in store.shard_map.nodes))
    return time.perf_counter() - started


async def _copy_node(source: URL, store: ShardedStore, node: Node) -> None:
    engine = create_async_engine(store.backend_url(node), poolclass=NullPool)
    try:
        async with indexes_built_after(engine, date.today() - timedelta(days=COPIED_DAYS)):
            # The replica has dropped the indexes and made the partitions too before its load starts.
            await store.replicas_caught_up(600)
            cities = _cities(store.shard_map, node)
            await asyncio.gather(
                *(
                    asyncio.to_thread(_dump_and_load, source, make_url(store.backend_url(node, role)), cities)
                    for role in ("primary", "replica")
                )
            )
    finally:
        await engine.dispose()


def _cities(shard_map: ShardMap, node: Node) -> str:
    if node.is_default:
        return f"city_code NOT IN ({_listed(shard_map)})"
    return f"city_code IN ({', '.join(repr(city) for city in node.cities)})"


def _dump_and_load(source: URL, target: URL, cities: str) -> None:
    dump = subprocess.Popen(  # noqa: S603
        [
            shutil.which("mariadb-dump") or "mariadb-dump",
            *_client(source),
            "--no-create-info",
            "--single-transaction",
            "--skip-add-locks",
            f"--where={cities}",
            RECORDS_DATABASE,
            *TABLES,
        ],
        stdout=subprocess.PIPE,
    )
    load = subprocess.run(  # noqa: S603
        [
            shutil.which("mariadb") or "mariadb",
            *_client(target),
            "--init-command=SET sql_log_bin = 0",
            str(target.database),
        ],
        stdin=dump.stdout,
        check=False,
    )
    if dump.wait() != 0 or load.returncode != 0:
        raise SystemExit(f"copying the records of {cities} onto {target.host} failed")


def _listed(shard_map: ShardMap) -> str:
    return ", ".join(repr(city) for node in shard_map.nodes for city in node.cities)


def _client(url: URL) -> list[str]:
    arguments = [f"--host={url.host}", f"--port={url.port or 3306}", f"--user={url.username or 'root'}"]
    return arguments + ([f"--password={url.password}"] if url.password else [])


async def trace_through_read_front(server: str, records: int, requests: int) -> tuple[str, list[str]]:
    databases = Databases(server)
    origin = await ensure_records(databases, records)
    database = f"lianfang_bench_sharded_{records}"
    store = ShardedStore(ShardMap.load(MAP), f"{WRITE_FRONT}/{database}", f"{READ_FRONT}/{database}")
    counted = create_async_engine(store.write_url, poolclass=NullPool)
    try:
        await migrate_sharded(store, MIGRATIONS)
        async with counted.connect() as connection:
            found = await connection.scalar(select(func.count()).select_from(RECORDS))
    finally:
        await counted.dispose()
    if found != records:
        print(f"copying {records:,} records onto the shards …", flush=True)
        await _drop(*store.backend_urls().values())
        await migrate_sharded(store, MIGRATIONS)
        origin += f"; copied onto the shards in {await _copy(server, store):,.0f} s"
    # The replicas build the indexes after their primaries, from the binlog.
    await store.replicas_caught_up(3600)
    read_front = ReadFront(server, read_url=store.read_url)
    return origin, await measure(read_front, requests, max(1, requests // 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="check-ins to drain (100,000)")
    parser.add_argument("--records", type=int, default=10_000_000, help="records trace reads (10,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per page level (200)")
    args = parser.parse_args()
    amqp, server = os.environ.get("LIANFANG_TEST_AMQP_URL"), os.environ.get("LIANFANG_TEST_MYSQL_URL")
    if not (amqp and server):
        print("shards skipped: set LIANFANG_TEST_AMQP_URL and LIANFANG_TEST_MYSQL_URL to measure the sharded store")
        return
    if not Path("/usr/lib/mysql/plugin/ha_spider.so").exists():
        print("shards skipped: the Spider engine is not installed (apt-get install mariadb-plugin-spider)")
        return

    async def run() -> tuple[list[Drain], list[float], str, list[str]]:
        async with topology():
            runs, lags = await drains(args.count, amqp)
            origin, lines = await trace_through_read_front(server, args.records, args.requests)
            return runs, lags, origin, lines

    header = ["| store | rows | drain s | rows/s | batches | ms/commit |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    print("\n".join(header), flush=True)
    runs, lags, origin, lines = asyncio.run(run())
    share = runs[1].rows_per_second / runs[0].rows_per_second
    lags.sort()
    body = "\n".join(
        [
            f"Goal: the drain through the write front at least {GOAL_SHARE:.0%} of the same drain into one backend "
            "directly (one worker, default settings: prefetch 2,000, batches of 500). Local topology: two shards, each "
            "a primary and a GTID replica, Spider write and read fronts (`lianfang shards up`), all on this machine.",
            "",
            *header,
            *(run.line() for run in runs),
            "",
            f"Through the front: **{share:.0%}** of the direct run ({'meets' if share >= GOAL_SHARE else 'misses'} "
            f"the goal).",
            f"Replica lag while the front's drain ran ({len(lags)} samples, the slowest replica each time): median "
            f"{lags[len(lags) // 2]:.2f} s, max {lags[-1]:.2f} s.",
            "",
            f"Trace through the read front on {args.records:,} records ({origin}):",
            "",
            "| query | requests | p50 ms | p99 ms | max ms | goal (p99) | | |",
            "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
            *lines,
        ]
    )
    print(write_results("shards", "Sharded records store: ingest through the front, trace through the replicas", body))


if __name__ == "__main__":
    main()
