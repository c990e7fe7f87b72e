"""Staff's views in Redis: the pending arrivals of a checkpoint, decisions, and the recent live events."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from lianfang.checkin.arrivals import arrival_score
from lianfang.checkin.checkins.repository import parse_record
from lianfang.checkin.checkins.schemas import CheckinRecord
from lianfang.checkin.errors import StateRebuilding, StateUnavailable
from lianfang.checkin.keys import (
    CLAIM_SECONDS,
    EPOCH_KEY,
    RECENT_EVENTS,
    RECENT_EVENTS_SECONDS,
    answers_key,
    arrivals_key,
    decision_key,
    live_channel,
    pending_key,
    recent_events_key,
    record_key,
)
from lianfang.checkin.state import RedisState, as_mapping

__all__ = ["StaffRepository"]

log = logging.getLogger("lianfang.checkin.state")


class StaffRepository:
    def __init__(self, state: RedisState) -> None:
        self._state = state

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
        key = decision_key(record_id)
        try:
            (held,) = await self._state.execute([("GET", key)])
            if held == token:
                await self._state.execute([("DEL", key)])
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
                    ("PUBLISH", live_channel(record.checkpoint_id), live_event),
                ]
            )
        except StateUnavailable:
            log.warning("the decision on %s is confirmed but not in Redis", record.id)

    async def recent_events(self, checkpoint_id: int) -> list[bytes]:
        """The checkpoint's recent live events, newest first."""
        (events,) = await self._state.execute([("LRANGE", recent_events_key(checkpoint_id), 0, RECENT_EVENTS - 1)])
        return [event for event in events if isinstance(event, bytes)] if isinstance(events, list) else []
