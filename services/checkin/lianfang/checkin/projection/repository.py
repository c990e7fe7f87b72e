"""The records store as the rebuild of the gate's state reads it: one ordered pass over the recent records, off the hot
path (which never touches SQL)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lianfang.common.contracts.records import CheckinKey, PendingDecision, Record
from lianfang.common.db import Database

__all__ = ["StoreReader", "StoredRecord"]


@dataclass(frozen=True, slots=True)
class StoredRecord:
    id: uuid.UUID
    city_code: str
    checked_at: datetime
    client_key: uuid.UUID
    checkpoint_id: int
    resident_id: uuid.UUID | None
    companion_of: uuid.UUID | None
    entered_by: uuid.UUID | None
    name_encrypted: str | None
    name_hash: str | None
    name_masked: str | None
    phone_encrypted: str | None
    phone_hash: str | None
    phone_masked: str | None
    id_card_encrypted: str | None
    id_card_hash: str | None
    id_card_masked: str | None
    answers_encrypted: str
    template_id: int
    template_version: int
    temperature: float | None
    temperature_source: str | None
    temperature_measured_at: datetime | None
    direction: str
    status: str
    distance_m: int | None
    outside_radius: bool | None
    distance_accuracy_m: int | None
    remote_scan: bool
    remind_checkout: bool
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None
    remeasured_temperature: float | None
    remeasured_by: uuid.UUID | None
    remeasured_by_name: str | None
    remeasured_at: datetime | None


_COLUMNS = tuple(getattr(Record, name) for name in StoredRecord.__dataclass_fields__)


class StoreReader:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def since(self, start: datetime, *, chunk: int) -> AsyncIterator[list[StoredRecord]]:
        """The records checked in from `start` on, oldest first, `chunk` at a time: one query streamed from a
        server-side cursor (a keyset page per chunk would sort the month's partitions again for every page)."""
        statement = (
            select(*_COLUMNS)
            .where(Record.checked_at >= start)
            .order_by(Record.checked_at, Record.id)
            .execution_options(stream_results=True, yield_per=chunk)
        )
        async with self._database.engine.connect() as connection:
            result = await connection.stream(statement)
            async for rows in result.partitions(chunk):
                yield [StoredRecord(*row) for row in rows]

    async def stored_since(self, start: datetime) -> int:
        """How many check-ins were stored with a time from `start` on: one indexed range of `checkin_keys`, which
        grows with every record stored, so a count that stays put says the worker has nothing left in hand."""
        statement = select(func.count()).select_from(CheckinKey).where(CheckinKey.checked_at >= start)
        async with self._database.engine.connect() as connection:
            return int(await connection.scalar(statement) or 0)

    async def has_decision(self, city_code: str, record_id: uuid.UUID) -> bool:
        """Whether the worker stored this decision (one whose record it has not seen waits in `pending_decisions`)."""
        statement = (
            select(func.count())
            .select_from(PendingDecision)
            .where(PendingDecision.city_code == city_code, PendingDecision.record_id == record_id)
        )
        async with self._database.engine.connect() as connection:
            return bool(await connection.scalar(statement))
