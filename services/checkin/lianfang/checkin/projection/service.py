"""Redis is a projection of the records store: this notices when Redis lost it and makes it again.

Lost means the epoch key is missing (a flush, a restart without persistence, failover to an empty replica, the all-in-one
server's in-process Redis after a restart) or names another Redis run (a restart that may have lost the last second of an
append-only file). Every read of the gate's state asks for the epoch in its own round trip and answers 503 without it
(`RedisState.read`), and tells this watcher, which also looks twice a second. One instance at a time rebuilds (a lock in
Redis): it waits until the check-ins confirmed before the loss are in the store (the ingest queue empty, twice), clears
what is left of the projection, replays the last 30 days of records into it, and writes a new epoch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.errors import CheckpointNotFound, StateRebuilding, StateUnavailable
from lianfang.checkin.keys import EPOCH_KEY, IDEMPOTENCY_SECONDS, PROJECTION_PATTERN, REBUILD_LOCK_KEY
from lianfang.checkin.projection.rebuild import OLDEST, Counts, Replayer
from lianfang.checkin.projection.repository import StoredRecord, StoreReader
from lianfang.checkin.publisher import EventPublisher
from lianfang.checkin.redis_pipeline import Command
from lianfang.checkin.state import RedisState, delete_if_held
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import CheckinDecided, RecordStatus, decided_routing_key
from lianfang.common.db import Database
from lianfang.common.messaging import INGEST_QUEUE, Broker, BrokerUnavailable, NotDeclaredError, OutgoingMessage
from lianfang.common.metrics import projection_metrics
from lianfang.common.pii import PiiCipher

__all__ = ["Projection", "Rebuilt"]

log = logging.getLogger("lianfang.checkin.projection")

_LOCK_SECONDS: Final = 30
# The city of the rebuild's barrier decisions: no region has it (city codes start with a province's two digits).
BARRIER_CITY: Final = "0000"
_CHUNK: Final = 2000


@dataclass(frozen=True, slots=True)
class Rebuilt:
    counts: Counts
    seconds: float


class Projection:
    """`store` is the records store's primary (never a replica, which may lag); without one, nothing can be rebuilt and
    a lost Redis only gets a new epoch (the state of a service run alone, in tests)."""

    def __init__(
        self,
        state: RedisState,
        *,
        store: Database | None,
        broker: Broker | None,
        publisher: EventPublisher | None,
        configs: CheckpointConfigs,
        pii: PiiCipher,
        poll_seconds: float,
        settle_seconds: float,
        stay_minutes: Mapping[str, int],
    ) -> None:
        self._stay_minutes = stay_minutes
        self._state = state
        self._store = store
        self._broker = broker
        self._publisher = publisher
        self._configs = configs
        self._pii = pii
        self._poll_seconds = poll_seconds
        self._settle_seconds = settle_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        state.on_lost = self._wake.set
        self.rebuilds = 0

    async def watch(self) -> None:
        """Until `stop()`: check whenever a request found the state lost, and every `poll_seconds` anyway."""
        while not self._stopping:
            try:
                await self.check()
            except StateUnavailable:
                pass
            except Exception:
                log.exception("checking the gate's state in Redis failed; trying again")
            self._wake.clear()
            # A timer rather than a timeout around the wait: on Python 3.11 a cancellation that meets an expiring
            # timeout can be taken for the timeout, and the task would never end.
            timer = asyncio.get_running_loop().call_later(self._poll_seconds, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def rebuilt(self) -> None:
        """Raises while Redis does not hold the gate's state: `/readyz` names it until the rebuild is done."""
        (epoch,) = await self._state.execute([("EXISTS", EPOCH_KEY)])
        if not epoch:
            raise StateRebuilding()

    async def wait_rebuilt(self) -> None:
        """Until Redis holds the gate's state (the all-in-one server waits for it before it says it is ready)."""
        while True:
            try:
                await self.rebuilt()
                return
            except (StateRebuilding, StateUnavailable):
                self._wake.set()
                await asyncio.sleep(0.05)

    async def check(self) -> Rebuilt | None:
        """Rebuild if Redis lost the state and nobody else is rebuilding it."""
        run = await self._run_id()
        (epoch,) = await self._state.execute([("GET", EPOCH_KEY)])
        if isinstance(epoch, bytes) and epoch.split(b":", 1)[0] == run:
            self._state.lost = False
            return None
        self._state.lost = True
        log.warning("Redis lost the gate's state (epoch %r, Redis run %r): rebuilding it", epoch, run)
        return await self.rebuild()

    async def rebuild(self) -> Rebuilt | None:
        """Rebuilds now, whatever the epoch says (`lianfang rebuild-state`); None when another rebuild holds the lock."""
        token = os.urandom(12).hex().encode()
        (taken,) = await self._state.execute([("SET", REBUILD_LOCK_KEY, token, "NX", "EX", _LOCK_SECONDS)])
        if taken is None:
            return None
        started = time.monotonic()
        metrics = projection_metrics()
        metrics.rebuilds.inc()
        metrics.rebuild_started.set(time.time())
        metrics.rebuilding.set(1)
        try:
            # Everyone answers 503 from here until the state is whole again.
            await self._state.execute([("DEL", EPOCH_KEY)])
            self._state.lost = True
            counts = Counts()
            if self._store is not None:
                await self._drained(token)
                await self._clear()
                counts = await self._replay(token)
            run = await self._run_id()
            await self._state.execute([("SET", EPOCH_KEY, b"%b:%s" % (run, str(uuid.uuid4()).encode()))])
            self._state.lost = False
        finally:
            metrics.rebuilding.set(0)
            await self._release(token)
        self.rebuilds += 1
        rebuilt = Rebuilt(counts, time.monotonic() - started)
        log.warning(
            "rebuilt the gate's state from the records store in %.1f s: %d records, %d receipts, %d pending, "
            "%d fever marks, %d temperatures, %d check-out reminders",
            rebuilt.seconds,
            counts.records,
            counts.receipts,
            counts.pending,
            counts.fevers,
            counts.temperatures,
            counts.reminders,
        )
        return rebuilt

    async def _run_id(self) -> bytes:
        """The Redis server's run id, which a restart changes; empty where INFO has none (the in-process fakeredis)."""
        try:
            (info,) = await self._state.execute([("INFO", "server")])
        except RuntimeError:
            return b""
        for line in info.splitlines() if isinstance(info, bytes) else []:
            if line.startswith(b"run_id:"):
                return line.removeprefix(b"run_id:").strip()
        return b""

    async def _drained(self, token: bytes) -> None:
        """Until the check-ins confirmed before the loss are in the store: the ingest queue empty and the store's count
        of recent check-ins unchanged for `settle_seconds` (new check-ins are refused meanwhile, so only those already
        in the broker or in the worker's hands still arrive). A worker or store that is down keeps the state unbuilt."""
        assert self._store is not None
        reader = StoreReader(self._store)
        await self._barrier(reader, token)
        since = datetime.now(UTC) - timedelta(seconds=IDEMPOTENCY_SECONDS)
        quiet_since: float | None = None
        last: int | None = None
        while True:
            depth = await self._queue_depth()
            stored = await reader.stored_since(since)
            now = time.monotonic()
            if depth == 0 and stored == last:
                if quiet_since is None:
                    quiet_since = now
                if now - quiet_since >= self._settle_seconds:
                    return
            else:
                quiet_since = None
                log.info(
                    "waiting for the store to take what is in flight (%d queued, %d stored) before rebuilding",
                    depth,
                    stored,
                )
            last = stored
            await self._renew(token)
            await asyncio.sleep(max(self._settle_seconds / 4, 0.05))

    async def _barrier(self, reader: StoreReader, token: bytes) -> None:
        """Decisions on no record, sent through the ingest queue behind every check-in confirmed before the loss: once
        the worker stored them (each waits in `pending_decisions` for a record that never comes, until retention purges
        it), the worker has written what was queued before them. One worker takes a queue in order and writes a batch at
        a time, but it holds two (`IngestWorker._consume`), and a batch whose write failed is written again after the
        next one: the batch before the first barrier's may still be waiting to be written when that one is stored. The
        second barrier, sent once the first is stored, lands in a batch taken only after that earlier batch was
        written, so the two together prove it. A sharded store's node that is down holds its messages, which
        the quiet count after this covers."""
        if self._publisher is None:
            return
        # Every instance looks for the epoch this often: by then each knows the state lost and publishes nothing it
        # claimed before (`RedisState.lost`), so the barrier comes after all of it.
        await asyncio.sleep(self._poll_seconds + 0.2)
        for _ in range(2):
            await self._stored_barrier(reader, token)

    async def _stored_barrier(self, reader: StoreReader, token: bytes) -> None:
        assert self._publisher is not None
        now = datetime.now(UTC)
        probe = CheckinDecided(
            record_id=uuid.uuid4(),
            city_code=BARRIER_CITY,
            checked_at=now,
            status=RecordStatus.passed,
            decided_by=uuid.UUID(int=0),
            decided_at=now,
            reason="rebuild barrier",
        )
        body = probe.__pydantic_serializer__.to_json(probe)
        await self._publisher.publish(
            [OutgoingMessage(decided_routing_key(BARRIER_CITY), body, message_id=str(probe.record_id))]
        )
        while not await reader.has_decision(BARRIER_CITY, probe.record_id):
            await self._renew(token)
            await asyncio.sleep(0.05)

    async def _queue_depth(self) -> int:
        if self._broker is None:
            return 0
        try:
            return await self._broker.queue_depth(INGEST_QUEUE)
        except NotDeclaredError:
            return 0
        except BrokerUnavailable:
            return -1

    async def _clear(self) -> None:
        """What is left of the projection goes: the store says what the gate's state is."""
        cursor: bytes = b"0"
        while True:
            (reply,) = await self._state.execute([("SCAN", cursor, "MATCH", PROJECTION_PATTERN, "COUNT", 1000)])
            assert isinstance(reply, list)
            next_cursor, keys = reply
            assert isinstance(next_cursor, bytes)
            assert isinstance(keys, list)
            doomed = [key for key in keys if isinstance(key, bytes) and key != REBUILD_LOCK_KEY.encode()]
            if doomed:
                await self._state.execute([("UNLINK", *doomed)])
            cursor = next_cursor
            if cursor == b"0":
                return

    async def _replay(self, token: bytes) -> Counts:
        assert self._store is not None
        replayer = Replayer(self._pii, self._stay_minutes)
        configs: dict[int, CheckpointConfig | None] = {}
        group: list[StoredRecord] = []
        async for rows in StoreReader(self._store).since(datetime.now(UTC) - OLDEST, chunk=_CHUNK):
            commands: list[Command] = []
            for row in rows:
                if group and row.checked_at != group[0].checked_at:
                    commands += replayer.group(group, await self._configs_of(group, configs))
                    group = []
                group.append(row)
            if commands:
                await self._state.execute(commands)
            await self._renew(token)
        if group:
            await self._state.execute(replayer.group(group, await self._configs_of(group, configs)))
        return replayer.counts

    async def _configs_of(
        self, rows: list[StoredRecord], known: dict[int, CheckpointConfig | None]
    ) -> dict[int, CheckpointConfig | None]:
        for row in rows:
            if row.checkpoint_id not in known:
                try:
                    known[row.checkpoint_id] = await self._configs.by_id(row.checkpoint_id)
                except CheckpointNotFound:
                    known[row.checkpoint_id] = None
        return known

    async def _renew(self, token: bytes) -> None:
        (held,) = await self._state.execute([("GET", REBUILD_LOCK_KEY)])
        if held != token:
            raise RuntimeError("the rebuild lock was lost (the rebuild took longer than the lock lasts)")
        await self._state.execute([("EXPIRE", REBUILD_LOCK_KEY, _LOCK_SECONDS)])

    async def _release(self, token: bytes) -> None:
        try:
            await self._state.execute([delete_if_held(REBUILD_LOCK_KEY, token)])
        except StateUnavailable:
            log.warning("could not release the rebuild lock; it frees itself in %d s", _LOCK_SECONDS)
