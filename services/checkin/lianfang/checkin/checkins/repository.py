"""The check-in path's state in Redis (key layout in `lianfang.checkin.keys`): one round trip before the publish, one
after it."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from lianfang.checkin.arrivals import arrival_commands, arrival_score
from lianfang.checkin.checkins.people import FeverMark, Measurement
from lianfang.checkin.checkins.schemas import CheckinRecord, CheckoutReminderDue, OpenStay
from lianfang.checkin.errors import StateRebuilding, StateUnavailable
from lianfang.checkin.keys import (
    CLAIM_SECONDS,
    EPOCH_KEY,
    FEVER_SECONDS,
    HISTORY_LENGTH,
    HISTORY_SECONDS,
    IDEMPOTENCY_SECONDS,
    PENDING_SECONDS,
    PREFILL_SECONDS,
    RECENT_EVENTS,
    RECENT_EVENTS_SECONDS,
    RECORD_SECONDS,
    TEMPERATURE_SECONDS,
    answers_key,
    client_key,
    fever_key,
    history_key,
    identities_key,
    live_channel,
    pending_key,
    prefill_key,
    recent_events_key,
    record_key,
    stay_key,
    temperature_key,
)
from lianfang.checkin.redis_pipeline import Command, Reply
from lianfang.checkin.reminders import cancel_commands, schedule_commands
from lianfang.checkin.state import RedisState, as_mapping, delete_if_held, replace_if_held, stored
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.ids import new_id

__all__ = [
    "Attempt",
    "CheckinRepository",
    "CheckinWrite",
    "Claim",
    "Held",
    "ResidentState",
    "owned_receipt",
    "parse_record",
]

log = logging.getLogger("lianfang.checkin.state")

_CLAIM = b"claim:"
_RECEIPT = b"receipt:"
# A client id's value names its owner (the resident, or the staff member who entered a visitor):
# `claim:<owner>:<busy until, ms>:<token>:<record id>:<checked at, ms>` while a request is in flight or after its
# publish failed, then `receipt:<owner>:<the receipt's JSON>`.
_OWNER = 36
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Attempt:
    """The record id and the time a check-in is stored under. A retry after a publish whose answer never came (the broker
    may hold the event or not) reuses them: whichever of its events the store keeps is the record its receipt names."""

    record_id: uuid.UUID
    checked_at: datetime

    @classmethod
    def new(cls) -> Attempt:
        """Now, to the millisecond, as temperatures are kept in Redis: a reused measurement shows the very time of the
        first record."""
        now = datetime.now(UTC)
        return cls(new_id(), now.replace(microsecond=now.microsecond // 1000 * 1000))

    def encode(self) -> bytes:
        # In whole milliseconds since the epoch, counted without floats: the retry's time is the very same.
        return b"%s:%d" % (str(self.record_id).encode(), (self.checked_at - _EPOCH) // _MILLISECOND)

    @classmethod
    def decode(cls, raw: bytes) -> Attempt:
        record_id, checked_ms = raw.split(b":")
        return cls(uuid.UUID(record_id.decode()), _EPOCH + int(checked_ms) * _MILLISECOND)


def _claims(owner: uuid.UUID, token: bytes, attempt: Attempt) -> tuple[bytes, bytes]:
    """A request's claim while it is in flight, busy for `CLAIM_SECONDS` (after which a retry takes it over, should
    the request have died), and the same claim free at once, left when the request failed."""
    owned = _CLAIM + str(owner).encode()
    held = b"%b:%b" % (token, attempt.encode())
    busy_until_ms = time.time_ns() // 1_000_000 + CLAIM_SECONDS * 1000
    return b"%b:%d:%b" % (owned, busy_until_ms, held), b"%b:0:%b" % (owned, held)


def owned_receipt(owner: uuid.UUID, receipt: bytes) -> bytes:
    return b"%b%b:%b" % (_RECEIPT, str(owner).encode(), receipt)


@dataclass(frozen=True, slots=True)
class Held:
    """What a client id's key held: whose it is, and the receipt once there is one, or the claim's attempt until then."""

    owner: bytes
    receipt: bytes | None
    attempt: Attempt | None = None
    busy_until_ms: int = 0

    @classmethod
    def of(cls, raw: object) -> Held | None:
        if not isinstance(raw, bytes):
            return None
        if raw.startswith(_RECEIPT):
            start = len(_RECEIPT)
            return cls(raw[start : start + _OWNER], raw[start + _OWNER + 1 :])
        if raw.startswith(_CLAIM):
            start = len(_CLAIM)
            busy_until, _token, attempt = raw[start + _OWNER + 1 :].split(b":", 2)
            return cls(raw[start : start + _OWNER], None, Attempt.decode(attempt), int(busy_until))
        return None

    def owned_by(self, owner: uuid.UUID) -> bool:
        return self.owner == str(owner).encode()


@dataclass(frozen=True, slots=True)
class Claim:
    """What Redis held when a check-in claimed its client id."""

    # The receipt of an earlier request with the same client id: the answer to give again.
    replay: bytes | None
    # Another request with this client id is still waiting for the broker.
    busy: bool
    # The client id is someone else's: nobody but its owner gets its receipt.
    foreign: bool = False
    # What the check-in is stored under; the claim's value in Redis while it is in flight, and once it failed.
    attempt: Attempt | None = None
    value: bytes = b""
    freed: bytes = b""
    # The attempt is an earlier request's, whose events the broker may hold.
    reused: bool = False
    measurements: dict[str, Measurement] = field(default_factory=dict)
    fevers: dict[str, FeverMark] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckinWrite:
    """Everything a confirmed check-in leaves in Redis."""

    client_id: uuid.UUID
    # The resident, or the staff member who entered a visitor: the only one its receipt is replayed to.
    owner: uuid.UUID
    receipt: bytes
    checkpoint_id: int
    resident_id: uuid.UUID | None
    records: Sequence[tuple[CheckinRecord, bytes]]
    measurements: Sequence[tuple[str, Measurement]]
    fevers: Sequence[tuple[str, FeverMark]]
    # Fields of the resident's prefill hash and their values.
    prefill: Sequence[tuple[str, bytes]]
    # Complete server-sent events for the checkpoint's live view.
    live_events: Sequence[bytes]
    # The answers of the records that wait for a decision (`keys.answers_key`), for the approval card.
    pending_answers: Sequence[tuple[uuid.UUID, bytes]] = ()
    # The identities of each person with a fever (`keys.identities_key`), for a re-measure.
    feverish: Sequence[tuple[uuid.UUID, bytes]] = ()
    # A resident's check-in opens a stay at the checkpoint for this many seconds; any check-out there closes it.
    stay: tuple[OpenStay, int] | None = None
    closes_stay: bool = False
    # The 离开提醒 of the stay opened, when the resident subscribed; any other opened or closed stay cancels the one due.
    reminder: CheckoutReminderDue | None = None


@dataclass(frozen=True, slots=True)
class ResidentState:
    measurement: Measurement | None
    fever: FeverMark | None
    prefill: dict[bytes, bytes]
    stay: OpenStay | None


def parse_record(raw: Reply) -> CheckinRecord | None:
    return stored(CheckinRecord, raw, "record")


class CheckinRepository:
    def __init__(self, state: RedisState) -> None:
        self._state = state

    @property
    def available(self) -> bool:
        return self._state.available

    def ensure_kept(self) -> None:
        """Raises `StateRebuilding` once this instance saw the state lost: what it claimed before may be missing from
        the rebuild, so it publishes nothing until the state is back."""
        if self._state.lost:
            raise StateRebuilding()

    async def claim(
        self,
        client_id: uuid.UUID,
        owner: uuid.UUID,
        token: bytes,
        attempt: Attempt,
        *,
        temperature_identities: Sequence[str],
        fever_identities: Sequence[str],
    ) -> Claim:
        """Claims the client id and reads the people's state, in one round trip (two when it takes over an earlier
        request's attempt); `StateUnavailable` without Redis."""
        key = client_key(client_id)
        value, freed = _claims(owner, token, attempt)
        keys = [temperature_key(identity) for identity in temperature_identities]
        keys += [fever_key(identity) for identity in fever_identities]
        commands: list[Command] = [("SET", key, value, "NX", "GET", "EX", IDEMPOTENCY_SECONDS)]
        if keys:
            commands.append(("MGET", *keys))
        commands.append(("EXISTS", EPOCH_KEY))
        replies = await self._state.execute(commands)
        if not replies[-1]:
            # Redis lost the projection: what it answered may not be what the store holds. The claim just made is
            # given back, so the retry after the rebuild is not kept waiting for it.
            if replies[0] is None:
                await self._give_back(key, value, None)
            self._state.lost = True
            self._state.on_lost()
            raise StateRebuilding()
        values = replies[1] if keys else []
        assert isinstance(values, list)
        count = len(temperature_identities)
        claim = Claim(
            replay=None,
            busy=False,
            attempt=attempt,
            value=value,
            freed=freed,
            measurements={
                identity: measurement
                for identity, raw in zip(temperature_identities, values[:count], strict=True)
                if (measurement := Measurement.decode(raw)) is not None
            },
            fevers={
                identity: mark
                for identity, raw in zip(fever_identities, values[count:], strict=True)
                if (mark := FeverMark.decode(raw)) is not None
            },
        )
        if replies[0] is None:
            return claim
        held = Held.of(replies[0])
        if held is None or not held.owned_by(owner):
            return Claim(replay=None, busy=False, foreign=True)
        if held.receipt is not None:
            return Claim(replay=held.receipt, busy=False)
        assert held.attempt is not None
        assert isinstance(replies[0], bytes)
        if held.busy_until_ms > time.time_ns() // 1_000_000:
            return Claim(replay=None, busy=True)
        # An earlier request failed, or died, once its events may have reached the broker: its attempt goes on here.
        value, freed = _claims(owner, token, held.attempt)
        (taken,) = await self._state.execute([replace_if_held(key, replies[0], value, IDEMPOTENCY_SECONDS)])
        if not taken:
            return Claim(replay=None, busy=True)
        return replace(claim, attempt=held.attempt, value=value, freed=freed, reused=True)

    async def replay(self, client_id: uuid.UUID, owner: uuid.UUID) -> bytes | None:
        """The receipt stored for the client id if it is the owner's; None without Redis too."""
        if not self._state.available:
            return None
        try:
            (raw,) = await self._state.read([("GET", client_key(client_id))])
        except StateUnavailable:
            return None
        held = Held.of(raw)
        return held.receipt if held is not None and held.owned_by(owner) else None

    async def release(self, client_id: uuid.UUID, claim: Claim, *, maybe_published: bool) -> None:
        """Gives the client id back after a failure, only while it holds this request's claim: a receipt written over
        it meanwhile (the rebuild's) stays. Once the broker may hold the events, the claim stays with its attempt, free
        at once: the retry takes it over and publishes the same records again, which the store keeps once."""
        await self._give_back(client_key(client_id), claim.value, claim.freed if maybe_published else None)

    async def _give_back(self, key: str, value: bytes, freed: bytes | None) -> None:
        command = (
            delete_if_held(key, value) if freed is None else replace_if_held(key, value, freed, IDEMPOTENCY_SECONDS)
        )
        try:
            await self._state.execute([command])
        except StateUnavailable:
            log.warning("could not give back %s; it frees itself in %d s", key, CLAIM_SECONDS)

    def save(self, write: CheckinWrite) -> None:
        """Best effort, and not waited for: the event is confirmed already, and the check-in stands without these. A
        retry of the same client id asks after them, so it finds the receipt (or the claim, and waits for it)."""
        receipt = owned_receipt(write.owner, write.receipt)
        commands: list[Command] = [("SET", client_key(write.client_id), receipt, "EX", IDEMPOTENCY_SECONDS)]
        for identity, measurement in write.measurements:
            commands.append(("SET", temperature_key(identity), measurement.encode(), "EX", TEMPERATURE_SECONDS))
        for identity, mark in write.fevers:
            commands.append(("SET", fever_key(identity), mark.encode(), "EX", FEVER_SECONDS))
        commands += _record_commands(write)
        if write.resident_id is not None:
            commands += _resident_commands(write, write.resident_id)
        commands += _live_commands(self._state.database, write)
        self._state.send(
            commands,
            unsent=f"check-in {write.client_id} is confirmed but not in Redis: no receipt for retries, no live event",
        )

    async def resident_state(self, resident_id: uuid.UUID, checkpoint_id: int) -> ResidentState:
        identity = f"resident:{resident_id}"
        measurement, fever, prefill, stay = await self._state.read(
            [
                ("GET", temperature_key(identity)),
                ("GET", fever_key(identity)),
                ("HGETALL", prefill_key(resident_id)),
                ("GET", stay_key(resident_id, checkpoint_id)),
            ]
        )
        return ResidentState(
            Measurement.decode(measurement),
            FeverMark.decode(fever),
            as_mapping(prefill),
            stored(OpenStay, stay, "stay"),
        )

    async def open_stay(self, resident_id: uuid.UUID, checkpoint_id: int) -> OpenStay | None:
        (raw,) = await self._state.read([("GET", stay_key(resident_id, checkpoint_id))])
        return stored(OpenStay, raw, "stay")

    async def history(self, resident_id: uuid.UUID, offset: int, limit: int) -> tuple[list[CheckinRecord], bool]:
        """A page of the resident's records, newest first, and whether more follow."""
        (ids,) = await self._state.read([("LRANGE", history_key(resident_id), offset, offset + limit)])
        assert isinstance(ids, list)
        more = len(ids) > limit
        wanted = [record_id for record_id in ids[:limit] if isinstance(record_id, bytes)]
        if not wanted:
            return [], more
        (raws,) = await self._state.execute([("MGET", *(record_key(uuid.UUID(raw.decode())) for raw in wanted))])
        assert isinstance(raws, list)
        return [record for raw in raws if (record := parse_record(raw)) is not None], more


def _record_commands(write: CheckinWrite) -> list[Command]:
    """The records, the checkpoint's arrivals and pending ones, and what a decision or a fever needs of them later."""
    commands: list[Command] = []
    pending: list[bytes | str] = []
    arrivals: list[bytes | str | int] = []
    for record, raw in write.records:
        commands.append(("SET", record_key(record.id), raw, "EX", RECORD_SECONDS))
        arrivals += [arrival_score(record.checked_at), str(record.id)]
        if record.status is RecordStatus.pending:
            pending += [str(record.id), raw]
    if arrivals:
        commands += arrival_commands(write.checkpoint_id, arrivals, datetime.now(UTC))
    if pending:
        key = pending_key(write.checkpoint_id)
        commands += [("HSET", key, *pending), ("EXPIRE", key, PENDING_SECONDS)]
    for record_id, answers in write.pending_answers:
        commands.append(("SET", answers_key(record_id), answers, "EX", PENDING_SECONDS))
    for record_id, people in write.feverish:
        commands.append(("SET", identities_key(record_id), people, "EX", FEVER_SECONDS))
    return commands


def _resident_commands(write: CheckinWrite, resident_id: uuid.UUID) -> list[Command]:
    """A resident's history, stay at the checkpoint, check-out reminder and prefill."""
    history = history_key(resident_id)
    newest_first = [str(record.id) for record, _ in reversed(write.records)]
    commands: list[Command] = [
        ("LPUSH", history, *newest_first),
        ("LTRIM", history, 0, HISTORY_LENGTH - 1),
        ("EXPIRE", history, HISTORY_SECONDS),
    ]
    stay = stay_key(resident_id, write.checkpoint_id)
    if write.stay is not None:
        opened, seconds = write.stay
        commands.append(("SET", stay, opened.__pydantic_serializer__.to_json(opened), "EX", seconds))
    elif write.closes_stay:
        commands.append(("DEL", stay))
    if write.reminder is not None:
        commands += schedule_commands(write.reminder)
    elif write.stay is not None or write.closes_stay:
        commands += cancel_commands(resident_id, write.checkpoint_id)
    if write.prefill:
        prefill = prefill_key(resident_id)
        fields = [part for pair in write.prefill for part in pair]
        commands += [("HSET", prefill, *fields), ("EXPIRE", prefill, PREFILL_SECONDS)]
    return commands


def _live_commands(database: int, write: CheckinWrite) -> list[Command]:
    """The staff boards' recent events, and the live ones sent to whoever watches now."""
    if not write.live_events:
        return []
    recent = recent_events_key(write.checkpoint_id)
    channel = live_channel(database, write.checkpoint_id)
    return [
        ("LPUSH", recent, *write.live_events),
        ("LTRIM", recent, 0, RECENT_EVENTS - 1),
        ("EXPIRE", recent, RECENT_EVENTS_SECONDS),
        *(("PUBLISH", channel, event) for event in write.live_events),
    ]
