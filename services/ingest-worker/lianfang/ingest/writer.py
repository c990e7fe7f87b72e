"""Where a batch is read and written: in the worker's event loop, or in a process of its own.

Receiving a message through aio-pika costs the worker's process about 85 µs of CPU, so one core that also parses and
writes tops out near 6,000 messages a second. The writer process takes the parsing and the SQL to the other core: the
worker then only receives, hands the batch's bodies over (a pickled list of bytes) and acks. The embedded mode, whose
broker lives in the process anyway, writes inline.

A writer either returns what it stored and what it refused, or raises `StoreDown`: it never retries. Holding the batch,
pausing and trying again is the worker's business.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from lianfang.common.contracts.events import CheckinCreated, CheckinDecided
from lianfang.common.db import Database, create_database, utcnow
from lianfang.common.observability import configure_logging
from lianfang.ingest.failures import describe, is_message_problem
from lianfang.ingest.messages import Rejected, RejectionKind, UnreadablePart, read
from lianfang.ingest.repository import BatchOutcome, KeysTaken, Raced, RecordsRepository
from lianfang.ingest.rows import RecordRow, oversized, record_row
from lianfang.ingest.settings import IngestSettings

__all__ = [
    "UNSHARDED",
    "BatchWriter",
    "InlineWriter",
    "ProcessWriter",
    "Refusal",
    "StoreDown",
    "Written",
    "bound_lock_waits",
    "exit_with",
    "node_finder",
    "write_batch",
]

log = logging.getLogger("lianfang.ingest")
_NO_LOCK = nullcontext()
# Tries of a batch that races another writer's decision before the failure is the worker's (a pause, then again).
_RACES_RETRIED = 3


@dataclass(frozen=True, slots=True)
class Refusal:
    """What goes to the dead-letter queue: the message at `index` of the bodies written or, when `position` is set, one
    event of that message's array, as `body`, while the message's other events are stored."""

    index: int
    kind: RejectionKind
    reason: str
    position: int | None = None
    body: bytes = b""


UNSHARDED = "records"

# The node of the records store a city's events go to (`lianfang.common.shards`); None: the store is not sharded.
NodeOf = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Written:
    outcome: BatchOutcome
    refused: list[Refusal]
    seconds: float
    # Messages not stored because their node of a sharded store is down (by index), and why, by node: the others are.
    held: tuple[int, ...] = ()
    down: tuple[tuple[str, str], ...] = ()
    # Each node's part that was written: (node, events, seconds); `UNSHARDED` names the one store that is not sharded.
    nodes: tuple[tuple[str, int, float], ...] = ()


def node_finder(settings: IngestSettings) -> NodeOf | None:
    store = settings.sharded_store()
    if store is None:
        return None
    shard_map = store.shard_map
    nodes: dict[str, str] = {}

    def node_of(city_code: str) -> str:
        if (found := nodes.get(city_code)) is None:
            found = nodes[city_code] = shard_map.node_of(city_code).name
        return found

    return node_of


class StoreDown(Exception):
    """The records store cannot take the batch now. `refused` are the messages that cannot be read at all: they go to
    the dead-letter queue at once rather than wait with the others."""

    def __init__(self, reason: str, refused: list[Refusal]) -> None:
        super().__init__(reason, refused)  # both in `args`, so that it crosses from the writer process intact
        self.reason = reason
        self.refused = refused


class BatchWriter(Protocol):
    async def start(self) -> None: ...

    async def write(self, bodies: Sequence[bytes]) -> Written:
        """Read the bodies and store what they hold in one commit; raise `StoreDown` when the store cannot."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Message:
    """One event to store: from the message at `index`, at `position` of its array (None: the message is the event)."""

    index: int
    position: int | None
    event: CheckinCreated | CheckinDecided
    row: RecordRow | None

    def refused(self, rejected: Rejected) -> Refusal:
        if self.position is None:
            return Refusal(self.index, rejected.kind, rejected.reason)
        body = self.event.__pydantic_serializer__.to_json(self.event)
        return Refusal(self.index, rejected.kind, rejected.reason, self.position, body)


async def write_batch(
    engine: AsyncEngine, bodies: Sequence[bytes], lock: asyncio.Lock | None = None, node_of: NodeOf | None = None
) -> Written:
    """Read the bodies, then store their events in one commit; `lock` keeps the batches of one writer from committing
    side by side (and out of order).

    On a sharded store (`node_of`), one commit per node, side by side: each touches one shard (no distributed commit),
    and a node that is down holds back only its own messages, which `Written.held` names. Raises `StoreDown` when
    a store that is not sharded could not take the batch."""
    messages: list[_Message] = []
    refused: list[Refusal] = []
    for index, body in enumerate(bodies):
        for item in _read(index, body):
            if isinstance(item, Refusal):
                refused.append(item)
            else:
                messages.append(item)
    groups: dict[str, list[_Message]] = {}
    for message in messages:
        groups.setdefault("" if node_of is None else node_of(message.event.city_code), []).append(message)
    async with lock or _NO_LOCK:
        started = time.perf_counter()
        results = await asyncio.gather(*(_timed(engine, group) for group in groups.values()), return_exceptions=True)
        return _combine(groups, results, refused, time.perf_counter() - started)


async def _timed(engine: AsyncEngine, messages: Sequence[_Message]) -> tuple[BatchOutcome, list[Refusal], float]:
    started = time.perf_counter()
    outcome, refused = await _store(engine, messages)
    return outcome, refused, time.perf_counter() - started


def _combine(
    groups: dict[str, list[_Message]],
    results: Sequence[tuple[BatchOutcome, list[Refusal], float] | BaseException],
    refused: list[Refusal],
    seconds: float,
) -> Written:
    """The batch's outcome from each node's. Not sharded, `StoreDown` when the store could not take it; sharded, the
    messages of the nodes that could not are held (all of them, when none could): the worker goes on with others."""
    outcome, unstorable, held, down = BatchOutcome(), list[Refusal](), set[int](), dict[str, str]()
    nodes: list[tuple[str, int, float]] = []
    failure: Exception | None = None
    for node, group, result in zip(groups, groups.values(), results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result
            if not isinstance(result, SQLAlchemyError | OSError | Raced):
                # Neither the database nor the network: a bug, whose traceback is wanted where it happened.
                log.error("writing a batch failed unexpectedly", exc_info=result)
            failure, down[node] = result, describe(result)
            held.update(message.index for message in group)
        else:
            outcome += result[0]
            unstorable += result[1]
            nodes.append((node or UNSHARDED, len(group), result[2]))
    if failure is not None and "" in down:
        # Not sharded: the store is down, and the batch waits whole.
        raise StoreDown(down[""], refused) from failure
    kept = [refusal for refusal in refused + unstorable if refusal.index not in held]
    return Written(outcome, kept, seconds, tuple(sorted(held)), tuple(sorted(down.items())), tuple(nodes))


def _read(index: int, body: bytes) -> Iterator[_Message | Refusal]:
    try:
        parts = read(body)
    except Rejected as rejected:
        yield Refusal(index, rejected.kind, rejected.reason)
        return
    for part in parts:
        if isinstance(part, UnreadablePart):
            yield Refusal(index, part.rejected.kind, part.rejected.reason, part.position, part.body)
        elif isinstance(part.event, CheckinDecided):
            yield _Message(index, part.position, part.event, None)
        else:
            row = record_row(part.event)
            message = _Message(index, part.position, part.event, row)
            problems = oversized(row)
            yield message.refused(Rejected(RejectionKind.invalid_event, "; ".join(problems))) if problems else message


async def _store(engine: AsyncEngine, messages: Sequence[_Message]) -> tuple[BatchOutcome, list[Refusal]]:
    """One transaction for the batch. Should the database refuse a value, once more whole (another worker may have
    claimed one of the keys meanwhile), then message by message, refusing only the culprits."""
    if not messages:
        return BatchOutcome(), []
    for _ in range(2):
        try:
            return await _commit(engine, messages), []
        except Exception as error:
            if not is_message_problem(error):
                raise
            log.info("the database refused a value in a batch of %d (%s)", len(messages), describe(error))
    outcome = BatchOutcome()
    refused = []
    for message in messages:
        try:
            outcome += await _commit(engine, [message])
        except Exception as error:
            if not is_message_problem(error):
                raise
            refused.append(message.refused(Rejected(RejectionKind.unstorable, describe(error))))
    return outcome, refused


async def _commit(engine: AsyncEngine, messages: Sequence[_Message]) -> BatchOutcome:
    records = [message.row for message in messages if message.row is not None]
    decisions = [message.event for message in messages if isinstance(message.event, CheckinDecided)]
    check_first = False
    races = 0
    while True:
        try:
            async with engine.begin() as connection:
                return await RecordsRepository(connection).store(
                    records, decisions, now=utcnow(), check_first=check_first
                )
        except KeysTaken:
            # Some of the batch was stored before (a redelivery, a retried check-in): again, looking the keys up first.
            check_first = True
        except Raced:
            # Another writer decided one of the batch's records meanwhile: again at once, reading what it wrote.
            races += 1
            if races == _RACES_RETRIED:
                raise


def bound_lock_waits(database: Database, seconds: int) -> None:
    """A write waits for a lock at most `seconds`, then fails and is tried again: by default MariaDB would wait a day,
    silently, and a graceful stop would wait with it."""

    def on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        if record.info.get("lock_waits_bounded"):
            return
        cursor = dbapi_connection.cursor()
        if database.dialect == "mysql":
            cursor.execute(f"SET SESSION lock_wait_timeout = {seconds}, innodb_lock_wait_timeout = {seconds}")
        elif database.dialect == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {seconds * 1000}")
        cursor.close()
        record.info["lock_waits_bounded"] = True

    event.listen(database.engine.sync_engine, "checkout", on_checkout)


class InlineWriter:
    """Reads and writes in the worker's own event loop, on the worker's database."""

    def __init__(self, database: Database, node_of: NodeOf | None = None) -> None:
        self.database = database
        self.node_of = node_of
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        return None

    async def write(self, bodies: Sequence[bytes]) -> Written:
        return await write_batch(self.database.engine, bodies, self._lock, self.node_of)

    async def close(self) -> None:
        return None


class ProcessWriter:
    """Reads and writes in a child process with a connection of its own to the worker's database.

    The child is spawned, not forked (the worker's process holds an event loop and the broker's sockets), so the
    program that starts the worker must guard its entry point with `if __name__ == "__main__"`. A child that dies is
    replaced; the batch it held counts as a failed write and is tried again."""

    def __init__(self, settings: IngestSettings, database: Database) -> None:
        self.settings = settings
        self.url = database.engine.url.render_as_string(hide_password=False)
        self.pid: int | None = None
        self._pool: ProcessPoolExecutor | None = None
        # Batches written side by side that find no child start one between them.
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        async with self._starting:
            if self._pool is None:
                await self._start()

    async def _start(self) -> None:
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(self.settings, self.url, os.getpid()),
        )
        try:
            # Pays for the spawn and the imports now, rather than with the first batch.
            self.pid = await asyncio.get_running_loop().run_in_executor(pool, os.getpid)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        self._pool = pool
        log.info("writer process %d started", self.pid)

    async def write(self, bodies: Sequence[bytes]) -> Written:
        if self._pool is None:
            try:
                await self.start()
            except Exception as error:
                raise StoreDown(f"cannot start the writer process: {describe(error)}", []) from error
        pool = self._pool
        assert pool is not None
        try:
            written: Written = await asyncio.get_running_loop().run_in_executor(pool, _write_in_child, list(bodies))
        except BrokenProcessPool as error:
            # Every batch the dead child held fails here; the first to see it lets the next attempt start another.
            if self._pool is pool:
                log.error("the writer process died; another starts with the next attempt")
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise StoreDown("the writer process died", []) from error
        return written

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        with suppress(BrokenProcessPool):
            await asyncio.get_running_loop().run_in_executor(pool, _close_child)
        await asyncio.to_thread(pool.shutdown, wait=True)


# The child's event loop, records store and nodes, made by `_start_child` once per process.
_child: tuple[asyncio.AbstractEventLoop, Database, NodeOf | None] | None = None


def _start_child(settings: IngestSettings, url: str, worker: int) -> None:
    global _child
    # The worker decides when the writer stops; a Ctrl-C or a SIGTERM to the whole group must not kill a commit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=exit_with, args=(worker,), name="writer-parent-watch", daemon=True).start()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node_of = node_finder(settings)
    store = settings.sharded_store()
    # A connection per node of a sharded store: a batch commits on each at once.
    database = create_database(url, pool_size=1 if store is None else len(store.shard_map.nodes), max_overflow=1)
    bound_lock_waits(database, settings.ingest_lock_wait_seconds)
    _child = (loop, database, node_of)
    # What exists by now (modules, SQLAlchemy's and pydantic's schemas) lives as long as the process: leaving it out
    # of the cyclic collector's full passes saves a quarter of the CPU a batch costs (bench/ingest_drain.py).
    gc.collect()
    gc.freeze()


def exit_with(worker: int, interval: float = 1.0) -> None:
    """A worker killed outright (SIGKILL, the OOM killer) cannot stop its writer, which would wait for batches
    forever: the writer notices it is no longer the worker's child and goes too. The worker's pid comes from the
    worker itself: asked here, it would be init's when the worker died while this process was still starting. A write
    in progress is rolled back by the database, and its batch, never acked, is delivered again."""
    while os.getppid() == worker:
        time.sleep(interval)
    os._exit(1)


def _write_in_child(bodies: list[bytes]) -> Written:
    assert _child is not None
    loop, database, node_of = _child
    return loop.run_until_complete(write_batch(database.engine, bodies, node_of=node_of))


def _close_child() -> None:
    global _child
    if _child is None:
        return
    loop, database, _ = _child
    loop.run_until_complete(database.dispose())
    loop.close()
    _child = None
