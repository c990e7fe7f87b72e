"""All SQL on the records store. Every statement names the caller's scope as one ancestry column and a `checked_at`
range, so each is a range scan of one `(<column>, checked_at)` index (or of the checkpoint's, the phone's, the ID
number's, the name's or the resident's index, which the scope then narrows)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from lianfang.common.contracts.records import Record
from lianfang.trace.people import Identity, IdentityKind
from lianfang.trace.periods import Period
from lianfang.trace.scope import Scope

__all__ = ["Keyset", "RecordRepository", "RecordRow"]

_ANCESTRY: tuple[InstrumentedAttribute[Any], ...] = (
    Record.province_id,
    Record.city_id,
    Record.county_id,
    Record.township_id,
    Record.unit_id,
)
# Bound parameters per `IN (…)`: far below SQLite's and MySQL's limits.
_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class RecordRow:
    """What trace shows of a record: never the encrypted values nor the answers."""

    id: uuid.UUID
    checked_at: datetime
    region_id: int
    checkpoint_id: int
    checkpoint_kind: str
    resident_id: uuid.UUID | None
    companion_of: uuid.UUID | None
    name_masked: str | None
    phone_masked: str | None
    phone_hash: str | None
    id_card_masked: str | None
    id_card_hash: str | None
    temperature: float | None
    temperature_source: str | None
    direction: str
    status: str


_COLUMNS = tuple(getattr(Record, name) for name in RecordRow.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Keyset:
    """Where the last page ended: its oldest time, and the records of that time already shown (companions checked in
    together share their time to the microsecond)."""

    checked_at: datetime
    seen: tuple[uuid.UUID, ...]


def _in_scope(scope: Scope, *, drives: bool = True) -> ColumnElement[bool]:
    """`drives=False` when a narrower index (a checkpoint's, a person's) leads the scan: `+ 0` keeps the planner off the
    scope's index, which SQLite, without statistics, would otherwise pick for a root admin and read the whole province."""
    column = _ANCESTRY[scope.depth]
    return (column if drives else column + 0) == scope.region_id


def _within(period: Period) -> ColumnElement[bool]:
    return and_(Record.checked_at >= period.start, Record.checked_at < period.end)


def _of(kind: IdentityKind, values: Sequence[str]) -> ColumnElement[bool]:
    if kind is IdentityKind.phone:
        return Record.phone_hash.in_(values)
    if kind is IdentityKind.id_card:
        return Record.id_card_hash.in_(values)
    if kind is IdentityKind.name:
        return Record.name_hash.in_(values)
    # A companion's record carries the account of whoever checked them in: it is not that resident's own visit.
    return and_(Record.resident_id.in_([uuid.UUID(value) for value in values]), Record.companion_of.is_(None))


class RecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(self, statement: Select[Any]) -> list[RecordRow]:
        return [RecordRow(*row) for row in await self.session.execute(statement)]

    async def newest_first(
        self,
        scope: Scope,
        period: Period,
        *,
        checkpoint_id: int | None,
        status: str | None,
        phone_hash: str | None,
        id_card_hash: str | None,
        name_hash: str | None,
        after: Keyset | None,
        limit: int,
    ) -> list[RecordRow]:
        narrower = checkpoint_id is not None or any(
            value is not None for value in (phone_hash, id_card_hash, name_hash)
        )
        statement = select(*_COLUMNS).where(_in_scope(scope, drives=not narrower), _within(period))
        if after is not None:
            statement = statement.where(Record.checked_at <= after.checked_at, Record.id.not_in(after.seen))
        if checkpoint_id is not None:
            statement = statement.where(Record.checkpoint_id == checkpoint_id)
        if status is not None:
            statement = statement.where(Record.status == status)
        if phone_hash is not None:
            statement = statement.where(Record.phone_hash == phone_hash)
        if id_card_hash is not None:
            statement = statement.where(Record.id_card_hash == id_card_hash)
        if name_hash is not None:
            statement = statement.where(Record.name_hash == name_hash)
        # By time alone: MariaDB reads a partitioned index in order only for its own columns, so adding `id` (which
        # InnoDB appends to the index) to the order would sort the whole range instead of stopping after `limit` rows.
        rows = await self._rows(statement.order_by(Record.checked_at.desc()).limit(limit))
        return sorted(rows, key=lambda row: (row.checked_at, row.id), reverse=True)

    async def of_people(
        self, scope: Scope, identities: Sequence[Identity], period: Period, *, limit: int
    ) -> list[RecordRow]:
        """The visits of these people in the period, oldest first; one indexed query per kind of identity (and per
        500 of them)."""
        by_kind: dict[IdentityKind, list[str]] = {}
        for identity in identities:
            by_kind.setdefault(identity.kind, []).append(identity.value)
        found: dict[uuid.UUID, RecordRow] = {}
        for kind, values in by_kind.items():
            for start in range(0, len(values), _IN_CHUNK):
                statement = (
                    select(*_COLUMNS)
                    .where(
                        _of(kind, values[start : start + _IN_CHUNK]), _in_scope(scope, drives=False), _within(period)
                    )
                    .order_by(Record.checked_at)
                    .limit(limit)
                )
                found.update((row.id, row) for row in await self._rows(statement))
        return sorted(found.values(), key=lambda row: (row.checked_at, row.id))[:limit]

    async def at_checkpoint(self, scope: Scope, checkpoint_id: int, period: Period, *, limit: int) -> list[RecordRow]:
        """Everyone's records at one checkpoint in the period, oldest first."""
        statement = (
            select(*_COLUMNS)
            .where(Record.checkpoint_id == checkpoint_id, _in_scope(scope, drives=False), _within(period))
            .order_by(Record.checked_at)
            .limit(limit)
        )
        return sorted(await self._rows(statement), key=lambda row: (row.checked_at, row.id))
