"""The ingest worker: check-in events from `ingest.checkins` into the records store, in batches, acked after commit.

A batch is handed to the writer (`lianfang.ingest.writer`), which dead-letters nothing itself: it answers what it
stored and which messages it refused — unreadable, or refused by the database one by one — or that the store is down.
Refused messages are dead-lettered at once; once the rest is committed the whole batch is acked with one multiple ack.
While the store is down the worker holds the batch unacked and tries again with a growing pause, and the broker keeps
the rest. One batch is written while the next one is received. Broker trouble drops the consumer, which hands every
unacked message back, and consuming resumes after a pause: messages whose batch was committed but not acked come back
and are absorbed by their key.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from lianfang.common.db import Database, create_database, utcnow
from lianfang.common.messaging import (
    INGEST_QUEUE,
    LIANFANG_TOPOLOGY,
    Broker,
    BrokerUnavailable,
    Consumer,
    Delivery,
    NotDeclaredError,
    Topology,
)
from lianfang.ingest.failures import describe
from lianfang.ingest.holding import Holding
from lianfang.ingest.metrics import ingest_metrics
from lianfang.ingest.partitions import ensure_partitions
from lianfang.ingest.repository import BatchOutcome, RecordsRepository
from lianfang.ingest.retention import Purged, cutoff, purge
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.writer import (
    UNSHARDED,
    BatchWriter,
    InlineWriter,
    ProcessWriter,
    Refusal,
    StoreDown,
    Written,
    bound_lock_waits,
    node_finder,
)

__all__ = ["IngestStats", "IngestWorker"]

log = logging.getLogger("lianfang.ingest")

PARTITION_CHECK_SECONDS = 24 * 3600.0
PARTITION_RETRY_SECONDS = 3600.0
PENDING_SWEEP_SECONDS = 60.0
# Retention is looked at hourly: a run with nothing to purge is one index probe per province.
RETENTION_SECONDS = 3600.0
# Decisions kept waiting this long are looked at again by the sweep: long enough for the batch that stores their
# record on another worker to have committed.
PENDING_GRACE = timedelta(seconds=30)


@dataclass(slots=True)
class IngestStats:
    """What this worker did since it was made; the same figures go to the Prometheus metrics of the process."""

    batches: int = 0
    # Messages acked, whether stored, absorbed as duplicates or dead-lettered.
    messages: int = 0
    totals: BatchOutcome = field(default_factory=BatchOutcome)
    dead_lettered: Counter[str] = field(default_factory=Counter)
    write_failures: int = 0


class _GaveUp(Exception):
    """Stopping while the database is down: the batch stays unacked and the broker hands it to the next worker."""


class IngestWorker:
    """`run()` consumes until `stop()` is called, then flushes what it holds and returns. The caller owns the database
    and the broker (a writer process opens its own connection to the same database); `topology` is declared by the
    worker and must route to `queue` with a dead-letter exchange. Without a `writer`, the settings choose one
    (`ingest_writer_process`)."""

    def __init__(
        self,
        settings: IngestSettings,
        database: Database,
        broker: Broker,
        *,
        queue: str = INGEST_QUEUE,
        topology: Topology = LIANFANG_TOPOLOGY,
        writer: BatchWriter | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.broker = broker
        self.queue = queue
        self.topology = topology
        node_of = node_finder(settings)
        self.writer = writer or (
            ProcessWriter(settings, database) if settings.ingest_writer_process else InlineWriter(database, node_of)
        )
        self._holding = Holding(node_of)
        self._retrying: asyncio.Task[None] | None = None
        # Where the monthly partitions and retention run: each node's database on its shard's primary (Spider and
        # MyCat forward no DDL), or the store itself.
        sharded = settings.sharded_store() is not None
        self._backends = (
            [create_database(url, pool_size=1, max_overflow=1) for url in settings.records_backends()]
            if sharded
            else [database]
        )
        self.stats = IngestStats()
        self._consumer: Consumer | None = None
        self._metrics()
        self._stopping = asyncio.Event()
        self._started = False
        bound_lock_waits(database, settings.ingest_lock_wait_seconds)

    def _metrics(self) -> None:
        """On /metrics from the start, at zero, rather than from the first batch."""
        metrics = ingest_metrics()
        store = self.settings.sharded_store()
        for node in [node.name for node in store.shard_map.nodes] if store is not None else [UNSHARDED]:
            metrics.node_up(node).set(1)
            metrics.node_events(node)
            metrics.node_store_seconds(node)
        metrics.held.set_function(lambda: len(self._holding.deliveries))
        metrics.lag_seconds.set_function(self.lag_seconds)
        for queue in self.queues_watched:
            metrics.queue_messages(queue)

    @property
    def queues_watched(self) -> list[str]:
        """The queue this worker drains and the queues its dead letters go to."""
        spec = next((queue for queue in self.topology.queues if queue.name == self.queue), None)
        dead = spec.dead_letter_exchange if spec is not None else None
        return [self.queue, *(binding.queue for binding in self.topology.bindings if binding.exchange == dead)]

    async def read_queue_depths(self) -> None:
        """The depth of each watched queue, for `lianfang_ingest_queue_messages` (asked at each scrape)."""
        metrics = ingest_metrics()
        for queue in self.queues_watched:
            metrics.queue_messages(queue).set(await self.broker.queue_depth(queue))

    def lag_seconds(self) -> float:
        """The age of the oldest event received and not yet stored: its message id is the time-ordered id (UUIDv7) the
        check-in service made when it answered. 0 with nothing in hand."""
        consumer = self._consumer
        if consumer is None:
            return 0.0
        made = (_made_at_ms(delivery.message_id) for delivery in consumer.unsettled)
        oldest = min((ms for ms in made if ms is not None), default=None)
        if oldest is None:
            return 0.0
        return max(0.0, time.time() - oldest / 1000)

    async def run(self) -> None:
        if self._started:
            raise RuntimeError("an IngestWorker runs once")
        self._started = True
        try:
            await self.writer.start()
        except Exception as error:
            # Started again with the first batch, whose write then counts as failed and is retried.
            log.warning("the writer could not start (%s)", describe(error))
        background = [
            asyncio.create_task(self._housekeeping(), name="ingest-housekeeping"),
            asyncio.create_task(self._retention(), name="ingest-retention"),
        ]
        pause = self._initial_pause
        try:
            while not self._stopping.is_set():
                try:
                    await self._consume()
                    pause = self._initial_pause
                except (BrokerUnavailable, NotDeclaredError) as error:
                    log.warning("the broker is unavailable (%s); consuming again in %.1f s", error, pause)
                    await self._pause(pause)
                    pause = min(pause * 2, self._max_pause)
        finally:
            # Asked to stop, never cancelled: a task cancelled in the middle of a statement can leave its connection
            # waiting forever (the housekeeping's, on a sharded store, kept `run` from returning).
            self._stopping.set()
            await asyncio.gather(*background)
            await self.writer.close()
            for backend in self._backends:
                if backend is not self.database:
                    await backend.dispose()

    def stop(self) -> None:
        """Stop consuming; `run()` returns once the messages in hand are stored and acked (or, with the database down,
        handed back unacked)."""
        self._stopping.set()

    @property
    def _initial_pause(self) -> float:
        return self.settings.ingest_retry_initial_ms / 1000

    @property
    def _max_pause(self) -> float:
        return self.settings.ingest_retry_max_ms / 1000

    async def _consume(self) -> None:
        await self.broker.declare(self.topology)
        async with self.broker.consume(self.queue, prefetch=self.settings.ingest_prefetch) as consumer:
            log.info("consuming %s", self.queue)
            self._consumer = consumer
            stopper = asyncio.create_task(self._stop_when_asked(consumer))
            # Two batches in flight: the writer has the next one at hand when it finishes one. Each is acked only
            # after the one before it, whose deliveries a multiple ack would otherwise take along.
            latest: asyncio.Task[None] | None = None
            try:
                while deliveries := await consumer.batch(
                    self.settings.ingest_batch_size, self.settings.ingest_flush_ms / 1000
                ):
                    previous, latest = latest, asyncio.create_task(self._commit(deliveries, after=latest))
                    if previous is not None:
                        await previous
                if latest is not None:
                    await latest
            except _GaveUp:
                log.warning("stopped with the database down: %d messages go back to the queue", consumer.in_flight)
            finally:
                self._consumer = None
                stopper.cancel()
                await self._forget_held()
                if latest is not None and not latest.done():
                    # Only when the batch before failed: this one would fail the same way, unacked.
                    latest.cancel()
                    with suppress(asyncio.CancelledError, Exception):
                        await latest

    async def _forget_held(self) -> None:
        """The consumer is going: its unacked deliveries, the held ones too, go back to the queue with it."""
        if self._retrying is not None:
            self._retrying.cancel()
            with suppress(asyncio.CancelledError):
                await self._retrying
            self._retrying = None
        self._holding = Holding(self._holding.node_of)

    async def _stop_when_asked(self, consumer: Consumer) -> None:
        await self._stopping.wait()
        await consumer.stop()

    async def _commit(self, deliveries: Sequence[Delivery], *, after: asyncio.Task[None] | None) -> None:
        ingest_metrics().batch_size.observe(len(deliveries))
        writing = self._holding.to_write(deliveries)
        written = await self._write(writing) if writing else None
        if after is not None:
            await after  # raises what the batch before raised: then this one is not acked either
        if written is not None:
            await self._settle(*written)
        if self._holding and (self._retrying is None or self._retrying.done()):
            self._retrying = asyncio.create_task(self._retry_held(), name="ingest-held")
        await self._ack(deliveries)
        self.stats.batches += 1

    async def _write(self, deliveries: Sequence[Delivery]) -> tuple[list[Delivery], Written]:
        """Write until the store takes the batch (or part of it, on a sharded store); answers the deliveries written,
        which the answer's indices refer to. Unreadable messages leave on the first attempt."""
        metrics = ingest_metrics()
        batch = list(deliveries)
        pause = self._initial_pause
        while True:
            try:
                written = await self.writer.write([delivery.body for delivery in batch])
                break
            except StoreDown as down:
                # Unreadable messages leave now; an unreadable event of a message leaves once the rest of it is stored.
                unreadable = [refusal for refusal in down.refused if refusal.position is None]
                for refusal in unreadable:
                    await self._dead_letter(batch[refusal.index], refusal)
                gone = {refusal.index for refusal in unreadable}
                batch = [delivery for index, delivery in enumerate(batch) if index not in gone]
                self.stats.write_failures += 1
                metrics.write_failures.inc()
                metrics.node_up(UNSHARDED).set(0)
                if self._stopping.is_set():
                    raise _GaveUp from down
                metrics.paused.set(1)
                log.warning(
                    "cannot write to the records store (%s); holding %d messages, trying again in %.1f s",
                    down.reason,
                    len(batch),
                    pause,
                )
                await self._pause(pause)
                pause = min(pause * 2, self._max_pause)
        metrics.paused.set(0)
        metrics.commit_seconds.observe(written.seconds)
        for node, events, seconds in written.nodes:
            metrics.node_events(node).observe(events)
            metrics.node_store_seconds(node).observe(seconds)
            metrics.node_up(node).set(1)
        for node, _ in written.down:
            metrics.node_up(node).set(0)
        return batch, written

    async def _settle(self, batch: list[Delivery], written: Written) -> None:
        """Dead-letter what the write refused and hold what its node could not take; the rest is stored."""
        for refusal in written.refused:
            await self._dead_letter(batch[refusal.index], refusal)
        self._count(written.outcome)
        self._holding.written(batch, written.down)
        if written.down:
            # A node that did not take its part is a failed write like a store that took nothing.
            self.stats.write_failures += 1
            ingest_metrics().write_failures.inc()
        if written.held:
            log.warning(
                "holding %d messages while part of the records store is down (%s)",
                len(written.held),
                "; ".join(f"{node}: {reason}" for node, reason in written.down),
            )
            self._holding.hold((batch[index] for index in written.held), written.down)

    async def _ack(self, deliveries: Sequence[Delivery]) -> None:
        """Ack what is stored or dead-lettered: one frame for the batch, or one per message while messages before
        it are held or being written again (a multiple ack would take them along)."""
        held = self._holding.unsettled()
        done = [delivery for delivery in deliveries if not delivery.settled and id(delivery) not in held]
        if not done:
            return
        self.stats.messages += len(done)
        if held:
            for delivery in done:
                await delivery.ack()
        else:
            await done[-1].ack(multiple=True)

    async def _retry_held(self) -> None:
        """Write the held messages again after a growing pause, a batch at a time, until none is left."""
        pause = self._initial_pause
        while self._holding:
            await self._pause(pause)
            if self._stopping.is_set():
                return
            released = self._holding.release(self.settings.ingest_batch_size)
            try:
                batch, written = await self._write(released)
            except _GaveUp:
                self._holding.retried()
                self._holding.hold(released, ())
                return
            await self._settle(batch, written)
            self._holding.retried()
            await self._ack(released)
            pause = min(pause * 2, self._max_pause) if written.held else self._initial_pause

    async def _dead_letter(self, delivery: Delivery, refusal: Refusal) -> None:
        if refusal.position is None:
            log.warning("dead-lettering message %s: %s", delivery.message_id, refusal.reason)
            await delivery.dead_letter(refusal.reason)
            self.stats.messages += 1
        else:
            log.warning(
                "dead-lettering event %d of message %s: %s", refusal.position, delivery.message_id, refusal.reason
            )
            await delivery.dead_letter_part(refusal.body, refusal.reason)
        self.stats.dead_lettered[refusal.kind] += 1
        ingest_metrics().dead_lettered.labels(refusal.kind.value).inc()

    def _count(self, outcome: BatchOutcome) -> None:
        self.stats.totals += outcome
        metrics = ingest_metrics()
        metrics.records_stored.inc(outcome.stored)
        metrics.duplicates.inc(outcome.duplicates)
        metrics.decisions.labels("applied").inc(outcome.decisions_applied)
        metrics.decisions.labels("deferred").inc(outcome.decisions_deferred)
        metrics.decisions.labels("stale").inc(outcome.decisions_stale)

    async def _housekeeping(self) -> None:
        """Monthly partitions at start-up and daily after; decisions whose record was stored by a racing worker."""
        loop = asyncio.get_running_loop()
        partitions_due = loop.time()
        while not self._stopping.is_set():
            if loop.time() >= partitions_due:
                try:
                    added = [
                        name
                        for backend in self._backends
                        for name in await ensure_partitions(
                            backend.engine,
                            months_ahead=self.settings.ingest_partition_months_ahead,
                            lock_wait_seconds=self.settings.ingest_lock_wait_seconds,
                        )
                    ]
                except Exception as error:
                    log.warning(
                        "cannot add the next partitions of records (%s); trying again in an hour", describe(error)
                    )
                    partitions_due = loop.time() + PARTITION_RETRY_SECONDS
                else:
                    if added:
                        log.info("added partitions of records: %s", ", ".join(added))
                    partitions_due = loop.time() + PARTITION_CHECK_SECONDS
            try:
                async with self.database.engine.begin() as connection:
                    applied = await RecordsRepository(connection).apply_pending(
                        received_before=utcnow() - PENDING_GRACE
                    )
            except Exception as error:
                log.warning("cannot look at the pending decisions (%s)", describe(error))
            else:
                if applied:
                    log.info("applied %d decisions whose record was stored by another batch", applied)
                    ingest_metrics().decisions.labels("applied").inc(applied)
            await self._pause(PENDING_SWEEP_SECONDS)

    async def _retention(self) -> None:
        """Purge what is past `LIANFANG_RETENTION_DAYS` on every backend, at start-up and hourly; a failed run is
        tried at the next."""
        settings = self.settings
        while not self._stopping.is_set():
            for backend in self._backends:
                try:
                    purged = await purge(
                        backend.engine,
                        before=cutoff(settings.retention_days),
                        batch_size=settings.retention_batch_size,
                        lock_wait_seconds=settings.ingest_lock_wait_seconds,
                    )
                except Exception as error:
                    log.warning("cannot purge the records past the retention period (%s)", describe(error))
                else:
                    _log_purged(purged)
            await self._pause(RETENTION_SECONDS)

    async def _pause(self, seconds: float) -> None:
        """Sleep, a little more or less so that workers do not come back in step, unless asked to stop."""
        jittered = seconds * random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not a secret
        with suppress(TimeoutError):
            async with asyncio.timeout(jittered):
                await self._stopping.wait()


def _made_at_ms(message_id: str | None) -> int | None:
    """The Unix time in milliseconds a UUIDv7 holds in its first 48 bits; None for any other id."""
    try:
        made = uuid.UUID(message_id) if message_id is not None else None
    except ValueError:
        return None
    return made.int >> 80 if made is not None and made.version == 7 else None


def _log_purged(purged: Purged) -> None:
    if any((purged.partitions, purged.records, purged.keys, purged.decisions, purged.hours, purged.days)):
        log.info(
            "purged before %s: partitions %s, %d records, %d check-in keys, %d stray decisions, "
            "%d hourly and %d daily counts",
            purged.before.isoformat(),
            ", ".join(purged.partitions) or "none",
            purged.records,
            purged.keys,
            purged.decisions,
            purged.hours,
            purged.days,
        )
