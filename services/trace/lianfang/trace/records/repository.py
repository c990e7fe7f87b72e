"""All SQL on the records store. Every statement names the caller's scope as one ancestry column and a `checked_at`
range, so each is a range scan of one `(<column>, checked_at)` index (or of the checkpoint's, the phone's, the ID
number's, the name's or the resident's index, which the scope then narrows)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from lianfang.common.contracts.records import Record
from lianfang.trace.people import Identity, IdentityKind
from lianfang.trace.periods import Period
from lianfang.trace.records.buckets import shanghai_bucket
from lianfang.trace.scope import Scope

__all__ = [
    "BucketCounts",
    "CheckpointCounts",
    "Counts",
    "Filled",
    "Keyset",
    "Narrowing",
    "RecordRepository",
    "RecordRow",
    "Sealed",
    "Settled",
]

_SPIDER = "lianfang.trace.records_through_spider"
_ENGINE_OF_RECORDS = (
    "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'records'"
)

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
    name_hash: str | None = None
    distance_m: int | None = None
    outside_radius: bool | None = None
    remote_scan: bool = False
    # A gate keeper's re-measure of a fever (the later reading, which decided the status).
    remeasured_temperature: float | None = None
    remeasured_by_name: str | None = None
    remeasured_at: datetime | None = None

    def identity(self) -> Identity | None:
        """Who the record is about, by the one identity rule: an ID number, an account (on its holder's own visits), a
        phone with a name (a phone alone is a household); the phone alone only on records stored before names were
        hashed."""
        if self.id_card_hash and self.id_card_masked:
            return Identity(IdentityKind.id_card, self.id_card_hash, self.id_card_masked)
        if self.resident_id is not None and self.companion_of is None:
            return Identity(IdentityKind.resident, str(self.resident_id), str(self.resident_id))
        if self.phone_hash and self.name_hash and self.phone_masked:
            shown = " ".join(part for part in (self.name_masked, self.phone_masked) if part)
            return Identity(IdentityKind.person, f"{self.phone_hash}:{self.name_hash}", shown)
        if self.phone_hash and self.phone_masked:
            return Identity(IdentityKind.phone, self.phone_hash, self.phone_masked)
        return None


_COLUMNS = tuple(getattr(Record, name) for name in RecordRow.__dataclass_fields__)
_FORM_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (Record.template_id, Record.template_version)


@dataclass(frozen=True, slots=True)
class Narrowing:
    """What narrows a search of the records besides its scope and period: the people by keyed hash."""

    checkpoint_id: int | None = None
    status: str | None = None
    phone_hash: str | None = None
    id_card_hash: str | None = None
    name_hash: str | None = None
    outside_radius: bool | None = None

    @property
    def selective(self) -> bool:
        """Whether a checkpoint's or a person's index can find the records rather than the scope's."""
        return self.checkpoint_id is not None or any(
            value is not None for value in (self.phone_hash, self.id_card_hash, self.name_hash)
        )


@dataclass(frozen=True, slots=True)
class Sealed:
    """A record's personal data as stored, for the rare answer that shows it in full."""

    name: str | None
    phone: str | None
    id_card: str | None


@dataclass(frozen=True, slots=True)
class Filled:
    """The form a record was filled in and its answers, encrypted as stored."""

    template_id: int
    template_version: int
    answers_encrypted: str


@dataclass(frozen=True, slots=True)
class Settled:
    """How a record came about and was decided, for its detail."""

    temperature_measured_at: datetime | None
    entered_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None


@dataclass(frozen=True, slots=True)
class Counts:
    records: int
    abnormal: int
    pending: int


@dataclass(frozen=True, slots=True)
class BucketCounts(Counts):
    """Records of one sub-region (None: at checkpoints of the region itself) in one Shanghai day or hour."""

    child_id: int | None
    bucket: str

    @classmethod
    def of_rows(cls, rows: Iterable[Sequence[Any]], label: Callable[[Any], str] = str) -> list[BucketCounts]:
        """Rows of `records, abnormal, pending, <day or hour>[, child_id]`, as the records and the rollups group them
        alike; `label` names the day or hour as the answer shows it."""
        return [
            cls(int(records), int(abnormal), int(pending), child_id=child_id[0] if child_id else None, bucket=label(at))
            for records, abnormal, pending, at, *child_id in rows
        ]


@dataclass(frozen=True, slots=True)
class CheckpointCounts(Counts):
    checkpoint_id: int
    checkpoint_kind: str
    region_id: int
    child_id: int | None

    @classmethod
    def of_rows(cls, rows: Iterable[Sequence[Any]]) -> list[CheckpointCounts]:
        """Rows of `records, abnormal, pending, checkpoint_id, kind, region_id[, child_id]`, as the records and the
        rollups group them alike."""
        return [
            cls(
                int(records),
                int(abnormal),
                int(pending),
                checkpoint_id=checkpoint_id,
                checkpoint_kind=kind,
                region_id=region_id,
                child_id=child_id[0] if child_id else None,
            )
            for records, abnormal, pending, checkpoint_id, kind, region_id, *child_id in rows
        ]


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
    own = (column if drives else column + 0) == scope.region_id
    # The shard key keeps a city's query on its shard (a sharded store's front prunes by it); nothing to any index.
    return own if scope.city_code is None else and_(Record.city_code == scope.city_code, own)


def _within(period: Period) -> ColumnElement[bool]:
    return and_(Record.checked_at >= period.start, Record.checked_at < period.end)


def _within_any(periods: Sequence[Period]) -> ColumnElement[bool]:
    return or_(*(_within(period) for period in periods))


def _child_of(scope: Scope) -> list[InstrumentedAttribute[Any]]:
    """The ancestry column one level below the scope's, which names the sub-region a record lies in (NULL for records
    at the region's own checkpoints); none below a unit."""
    return list(_ANCESTRY[scope.depth + 1 : scope.depth + 2])


# Counted in the same pass as the total: one range scan gives all three.
_COUNTS = (
    func.count().label("records"),
    func.sum(case((Record.status == "abnormal", 1), else_=0)).label("abnormal"),
    func.sum(case((Record.status == "pending", 1), else_=0)).label("pending"),
)


def _of(kind: IdentityKind, values: Sequence[str]) -> ColumnElement[bool]:
    if kind is IdentityKind.phone:
        return Record.phone_hash.in_(values)
    if kind is IdentityKind.id_card:
        return Record.id_card_hash.in_(values)
    if kind is IdentityKind.name:
        return Record.name_hash.in_(values)
    if kind is IdentityKind.person:
        pairs = [tuple(value.split(":", 1)) for value in values]
        return tuple_(Record.phone_hash, Record.name_hash).in_(pairs)
    # A companion's record carries the account of whoever checked them in: it is not that resident's own visit.
    return and_(Record.resident_id.in_([uuid.UUID(value) for value in values]), Record.companion_of.is_(None))


def _matching(statement: Select[Any], scope: Scope, period: Period, narrowing: Narrowing) -> Select[Any]:
    statement = statement.where(_in_scope(scope, drives=not narrowing.selective), _within(period))
    if narrowing.checkpoint_id is not None:
        statement = statement.where(Record.checkpoint_id == narrowing.checkpoint_id)
    if narrowing.status is not None:
        statement = statement.where(Record.status == narrowing.status)
    if narrowing.phone_hash is not None:
        statement = statement.where(Record.phone_hash == narrowing.phone_hash)
    if narrowing.id_card_hash is not None:
        statement = statement.where(Record.id_card_hash == narrowing.id_card_hash)
    if narrowing.name_hash is not None:
        statement = statement.where(Record.name_hash == narrowing.name_hash)
    if narrowing.outside_radius is not None:
        # Records without a position (no consent, no checkpoint position) are neither inside nor outside.
        statement = statement.where(Record.outside_radius.is_(narrowing.outside_radius))
    return statement


class RecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(self, statement: Select[Any]) -> list[RecordRow]:
        return [RecordRow(*row) for row in await self.session.execute(statement)]

    async def newest_first(
        self, scope: Scope, period: Period, narrowing: Narrowing, *, after: Keyset | None, limit: int
    ) -> list[RecordRow]:
        statement = _matching(select(*_COLUMNS), scope, period, narrowing)
        seen = set(after.seen) if after is not None else set()
        if after is not None:
            # The records of the last page's oldest instant already shown are dropped below, not in SQL: with
            # `id NOT IN (…)` MariaDB weighs the primary key and reads the scope's index by its first column alone,
            # from the newest record down to the page, so every page of a long export cost more than the one before.
            statement = statement.where(Record.checked_at <= after.checked_at)
        # By time alone: MariaDB reads a partitioned index in order only for its own columns, so adding `id` (which
        # InnoDB appends to the index) to the order would sort the whole range instead of stopping after `limit` rows.
        rows = await self._rows(statement.order_by(Record.checked_at.desc()).limit(limit + len(seen)))
        rows = [row for row in rows if row.id not in seen][:limit]
        return sorted(rows, key=lambda row: (row.checked_at, row.id), reverse=True)

    async def count_upto(self, scope: Scope, period: Period, narrowing: Narrowing, *, cap: int) -> int:
        """How many records match, counted up to `cap`: the limit stops the range scan there, so a count costs no more
        than reading `cap` index entries however wide the search."""
        matching = _matching(select(Record.id), scope, period, narrowing)
        if await self._through_spider():
            # A Spider front that reads by an index merges its partitions in the index's order, so it asks every shard
            # for up to `cap` rows before it counts one. Read without an index, it takes the partitions in turn (each
            # shard still answers the conditions, pushed down, from its own indexes) and stops once `cap` rows are in:
            # a province's count then reads one shard, not all (28 against 41 ms on the bench's records).
            matching = matching.with_hint(Record, "USE INDEX ()", dialect_name="mysql")
        counted = select(func.count()).select_from(matching.limit(cap).subquery())
        return int((await self.session.execute(counted)).scalar_one())

    async def _through_spider(self) -> bool:
        """Whether the records table is a Spider front's (asked once per connection). A plain MariaDB, a MyCat or a
        ShardingSphere front must never see the hint above: each of their servers would scan the whole table."""
        connection = await self.session.connection()
        if connection.dialect.name != "mysql":
            return False
        known = connection.info.get(_SPIDER)
        if known is None:
            engine = await connection.scalar(text(_ENGINE_OF_RECORDS))
            known = connection.info[_SPIDER] = engine == "SPIDER"
        return bool(known)

    async def forms_used(
        self, scope: Scope, period: Period, narrowing: Narrowing, *, limit: int
    ) -> list[tuple[int, int]]:
        """The (template, version) pairs the newest `limit` records of a search were filled in: the same range scan as
        the search's pages."""
        columns: Select[Any] = select(*_FORM_COLUMNS)
        statement = _matching(columns, scope, period, narrowing)
        newest = statement.order_by(Record.checked_at.desc()).limit(limit).subquery()
        distinct = select(newest.c.template_id, newest.c.template_version).distinct()
        return sorted((template_id, version) for template_id, version in await self.session.execute(distinct))

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

    async def find(self, scope: Scope, record_id: uuid.UUID) -> RecordRow | None:
        """One record of the scope, by its id (the primary key leads with it)."""
        statement = select(*_COLUMNS).where(Record.id == record_id, _in_scope(scope, drives=False))
        rows = await self._rows(statement)
        return rows[0] if rows else None

    async def find_many(self, scope: Scope, record_ids: Sequence[uuid.UUID]) -> list[RecordRow]:
        """The records of the scope among these ids; the others are left out."""
        statement = select(*_COLUMNS).where(Record.id.in_(record_ids), _in_scope(scope, drives=False))
        return await self._rows(statement)

    async def ids_at(self, checkpoint_ids: Sequence[int], record_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """Those of these records made at one of these checkpoints: a gate keeper's scope."""
        found: list[uuid.UUID] = []
        for start in range(0, len(record_ids), _IN_CHUNK):
            statement = select(Record.id).where(
                Record.id.in_(record_ids[start : start + _IN_CHUNK]), Record.checkpoint_id.in_(checkpoint_ids)
            )
            found.extend(await self.session.scalars(statement))
        return found

    async def find_at(self, checkpoint_ids: Sequence[int], record_id: uuid.UUID) -> RecordRow | None:
        """One record by its id if it was made at one of these checkpoints: a gate keeper's scope."""
        statement = select(*_COLUMNS).where(Record.id == record_id, Record.checkpoint_id.in_(checkpoint_ids))
        rows = await self._rows(statement)
        return rows[0] if rows else None

    async def sealed(self, period: Period, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Sealed]:
        """The encrypted personal data of records already found in the period, by primary key (the period lets MySQL
        read only its partitions)."""
        found: dict[uuid.UUID, Sealed] = {}
        for start in range(0, len(record_ids), _IN_CHUNK):
            statement = select(
                Record.id, Record.name_encrypted, Record.phone_encrypted, Record.id_card_encrypted
            ).where(Record.id.in_(record_ids[start : start + _IN_CHUNK]), _within(period))
            found.update((row[0], Sealed(*row[1:])) for row in await self.session.execute(statement))
        return found

    async def details(self, scope: Scope, record_id: uuid.UUID) -> tuple[RecordRow, Filled, Settled, Sealed] | None:
        """One record of the scope with everything its detail shows (the encrypted values are decrypted only when asked
        for)."""
        extra = (
            Record.template_id,
            Record.template_version,
            Record.answers_encrypted,
            Record.temperature_measured_at,
            Record.entered_by,
            Record.decided_at,
            Record.decision_reason,
            Record.name_encrypted,
            Record.phone_encrypted,
            Record.id_card_encrypted,
        )
        statement = select(*_COLUMNS, *extra).where(Record.id == record_id, _in_scope(scope, drives=False))
        found = (await self.session.execute(statement)).first()
        if found is None:
            return None
        width = len(_COLUMNS)
        row, rest = RecordRow(*found[:width]), found[width:]
        return row, Filled(*rest[:3]), Settled(*rest[3:7]), Sealed(*rest[7:])

    async def filled(self, period: Period, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Filled]:
        """The forms and encrypted answers of records already found in the period, by primary key, like `sealed`."""
        found: dict[uuid.UUID, Filled] = {}
        for start in range(0, len(record_ids), _IN_CHUNK):
            statement = select(Record.id, Record.template_id, Record.template_version, Record.answers_encrypted).where(
                Record.id.in_(record_ids[start : start + _IN_CHUNK]), _within(period)
            )
            found.update((row[0], Filled(*row[1:])) for row in await self.session.execute(statement))
        return found

    async def counts_by_bucket(self, scope: Scope, periods: Sequence[Period], pattern: str) -> list[BucketCounts]:
        """Counts per sub-region and Shanghai day or hour (`buckets.DAY`, `buckets.HOUR`) of the records in the periods
        (statistics ask only for the minutes at a period's ends, the rollups count the rest): a range scan of the
        scope's `(<column>, checked_at)` index per period, grouped in the database."""
        if not periods:
            return []
        child = _child_of(scope)
        bucket = shanghai_bucket(Record.checked_at, pattern)
        statement = (
            select(*_COUNTS, bucket, *child).where(_in_scope(scope), _within_any(periods)).group_by(bucket, *child)
        )
        return BucketCounts.of_rows(await self.session.execute(statement))

    async def counts_by_checkpoint(self, scope: Scope, periods: Sequence[Period]) -> list[CheckpointCounts]:
        """Counts per checkpoint and kind (a checkpoint lies in one region, so also in one sub-region) of the records in
        the periods, from which the totals, the busiest checkpoints and the kinds follow."""
        if not periods:
            return []
        child = _child_of(scope)
        keys = (Record.checkpoint_id, Record.checkpoint_kind, Record.region_id, *child)
        statement = select(*_COUNTS, *keys).where(_in_scope(scope), _within_any(periods)).group_by(*keys)
        return CheckpointCounts.of_rows(await self.session.execute(statement))
