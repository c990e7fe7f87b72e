"""Staff's views in Redis: the pending arrivals of a checkpoint, decisions and re-measures, the recent live events."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from lianfang.checkin.arrivals import arrival_score
from lianfang.checkin.checkins.people import FeverMark, Measurement
from lianfang.checkin.checkins.repository import parse_record
from lianfang.checkin.checkins.schemas import CheckinRecord
from lianfang.checkin.errors import StateRebuilding, StateUnavailable
from lianfang.checkin.keys import (
    CLAIM_SECONDS,
    EPOCH_KEY,
    FEVER_SECONDS,
    PENDING_SECONDS,
    RECENT_EVENTS,
    RECENT_EVENTS_SECONDS,
    TEMPERATURE_SECONDS,
    answers_key,
    arrivals_key,
    decision_key,
    fever_key,
    identities_key,
    live_channel,
    pending_key,
    recent_events_key,
    record_key,
    temperature_key,
)
from lianfang.checkin.redis_pipeline import Command
from lianfang.checkin.state import RedisState, as_mapping, delete_if_held
from lianfang.common.contracts.events import RecordStatus

__all__ = ["StaffRepository"]

log = logging.getLogger("lianfang.checkin.state")


class StaffRepository:
    def __init__(self, state: RedisState) -> None:
        self._state = state

    def live_channel(self, checkpoint_id: int) -> str:
        return live_channel(self._state.database, checkpoint_id)

    def ensure_kept(self) -> None:
        """As `CheckinRepository.ensure_kept`: no decision is published while this instance knows the state lost."""
        if self._state.lost:
            raise StateRebuilding()

    async def pending(self, checkpoint_id: int) -> list[CheckinRecord]:
        (stored,) = await self._state.read([("HGETALL", pending_key(checkpoint_id))])
        records = [record for raw in as_mapping(stored).values() if (record := parse_record(raw)) is not None]
        # Record ids are UUIDv7: their order is the order of arrival.
        return sorted(records, key=lambda record: record.id)

    async def arrivals(self, checkpoint_id: int, since: datetime) -> list[CheckinRecord]:
        """The checkpoint's records checked in at or after `since`, decisions included, oldest first."""
        (ids,) = await self._state.read([("ZRANGEBYSCORE", arrivals_key(checkpoint_id), arrival_score(since), "+inf")])
        if not isinstance(ids, list) or not ids:
            return []
        wanted = [uuid.UUID(raw.decode()) for raw in ids if isinstance(raw, bytes)]
        (raws,) = await self._state.read([("MGET", *(record_key(record_id) for record_id in wanted))])
        records = (
            [record for raw in raws if (record := parse_record(raw)) is not None] if isinstance(raws, list) else []
        )
        return sorted(records, key=lambda record: record.id)

    async def with_answers(self, record_id: uuid.UUID) -> tuple[CheckinRecord | None, bytes | None]:
        """The record, and its answers as `keys.answers_key` keeps them (None once decided or lost)."""
        raw, answers = await self._state.execute([("GET", record_key(record_id)), ("GET", answers_key(record_id))])
        return parse_record(raw), answers if isinstance(answers, bytes) else None

    async def claim_decision(self, record_id: uuid.UUID, token: bytes) -> tuple[CheckinRecord | None, bool]:
        """The record, and whether this request may decide it (nobody else is deciding it right now)."""
        raw, held, kept = await self._state.execute(
            [
                ("GET", record_key(record_id)),
                ("SET", decision_key(record_id), token, "NX", "GET", "EX", CLAIM_SECONDS),
                ("EXISTS", EPOCH_KEY),
            ]
        )
        if not kept:
            if held is None:
                await self.release_decision(record_id, token)
            self._state.lost = True
            self._state.on_lost()
            raise StateRebuilding()
        return parse_record(raw), held is None

    async def release_decision(self, record_id: uuid.UUID, token: bytes) -> None:
        try:
            await self._state.execute([delete_if_held(decision_key(record_id), token)])
        except StateUnavailable:
            log.warning("could not release the decision on %s; it frees itself in %d s", record_id, CLAIM_SECONDS)

    async def save_decision(self, record: CheckinRecord, live_event: bytes) -> None:
        """Best effort: the decision is confirmed by the broker already. From here on the record's status refuses a
        second decision."""
        recent = recent_events_key(record.checkpoint_id)
        raw = record.__pydantic_serializer__.to_json(record)
        try:
            await self._state.execute(
                [
                    ("SET", record_key(record.id), raw, "XX", "KEEPTTL"),
                    ("HDEL", pending_key(record.checkpoint_id), str(record.id)),
                    ("DEL", decision_key(record.id)),
                    ("DEL", answers_key(record.id)),
                    ("LPUSH", recent, live_event),
                    ("LTRIM", recent, 0, RECENT_EVENTS - 1),
                    ("EXPIRE", recent, RECENT_EVENTS_SECONDS),
                    ("PUBLISH", self.live_channel(record.checkpoint_id), live_event),
                ]
            )
        except StateUnavailable:
            log.warning("the decision on %s is confirmed but not in Redis", record.id)

    async def fever_person(self, record_id: uuid.UUID) -> list[str]:
        """The identities of the person of a fever record (`keys.identities_key`), strongest first; none once lost."""
        (raw,) = await self._state.execute([("GET", identities_key(record_id))])
        return raw.decode().split("|") if isinstance(raw, bytes) and raw else []

    async def fever_marks(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The fever marks (`FeverMark.encode`) held under these keys."""
        if not keys:
            return {}
        (raws,) = await self._state.execute([("MGET", *(fever_key(key) for key in keys))])
        found = raws if isinstance(raws, list) else []
        return {key: raw for key, raw in zip(keys, found, strict=False) if isinstance(raw, bytes)}

    async def save_remeasure(
        self,
        record: CheckinRecord,
        live_event: bytes,
        *,
        temperature: tuple[str, Measurement] | None,
        marks: Sequence[tuple[str, FeverMark]],
        lifted: Sequence[str],
    ) -> None:
        """Best effort, as `save_decision`: the record as staff see it, in or out of the pending list, the person's
        last temperature, the fever marks the re-measure sets or lifts, the live event."""
        recent = recent_events_key(record.checkpoint_id)
        raw = record.__pydantic_serializer__.to_json(record)
        pending = pending_key(record.checkpoint_id)
        commands: list[Command] = [
            ("SET", record_key(record.id), raw, "XX", "KEEPTTL"),
            ("DEL", decision_key(record.id)),
        ]
        if record.status is RecordStatus.pending:
            commands += [("HSET", pending, str(record.id), raw), ("EXPIRE", pending, PENDING_SECONDS)]
        else:
            commands += [("HDEL", pending, str(record.id)), ("DEL", answers_key(record.id))]
        if temperature is not None:
            identity, measurement = temperature
            commands.append(("SET", temperature_key(identity), measurement.encode(), "EX", TEMPERATURE_SECONDS))
        commands += [("SET", fever_key(key), mark.encode(), "EX", FEVER_SECONDS) for key, mark in marks]
        if lifted:
            commands.append(("DEL", *(fever_key(key) for key in lifted)))
        commands += [
            ("LPUSH", recent, live_event),
            ("LTRIM", recent, 0, RECENT_EVENTS - 1),
            ("EXPIRE", recent, RECENT_EVENTS_SECONDS),
            ("PUBLISH", self.live_channel(record.checkpoint_id), live_event),
        ]
        try:
            await self._state.execute(commands)
        except StateUnavailable:
            log.warning("the re-measure of %s is confirmed but not in Redis", record.id)

    async def recent_events(self, checkpoint_id: int) -> list[bytes]:
        """The checkpoint's recent live events, newest first."""
        (events,) = await self._state.execute([("LRANGE", recent_events_key(checkpoint_id), 0, RECENT_EVENTS - 1)])
        return [event for event in events if isinstance(event, bytes)] if isinstance(events, list) else []
