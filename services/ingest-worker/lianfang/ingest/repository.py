"""All SQL of the worker. Each call writes into the caller's transaction and never commits.

Bulk statements throughout (one INSERT of many rows, one SELECT with a list of keys), no ORM unit of work: a batch of
500 check-ins costs a handful of round trips. Statements name their columns and the shard key and join nothing, as the
records store's sharding rules ask (DESIGN.md, Data).

The rollups (`record_hours`, `record_days`) change in the same transaction as the records they count: a batch adds up
what it stored and what its decisions moved in Python (`Tally`), then sends one upsert per table, last, so every
writer locks records before rollup rows and rollup rows in key order.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Delete,
    Dialect,
    Row,
    String,
    Table,
    bindparam,
    delete,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from lianfang.common.contracts.events import CheckinCreated, CheckinDecided
from lianfang.common.contracts.records import ROLLUP_COUNTS, RecordsBase
from lianfang.common.contracts.rollups import ANCESTRY, DAYS, HOURS, day_of, hour_of, recount, recount_days

__all__ = [
    "DAYS",
    "HOURS",
    "BatchOutcome",
    "Decision",
    "KeysTaken",
    "Raced",
    "RecordRow",
    "RecordsRepository",
    "Tally",
    "oversized",
    "record_row",
]

RECORDS: Table = RecordsBase.metadata.tables["records"]
KEYS: Table = RecordsBase.metadata.tables["checkin_keys"]
PENDING: Table = RecordsBase.metadata.tables["pending_decisions"]

# A `records` row as Core inserts it; every row of a batch has every column, as one multi-row INSERT needs.
RecordRow = dict[str, Any]
RecordKey = tuple[str, uuid.UUID]  # (city_code, record id)

# Keys per `IN (…)`: well under SQLite's limit on bound parameters, and a statement MySQL plans as ranges.
_CHUNK = 1000
# Up to this many waiting decisions, the whole table is read instead of looking up the batch's keys.
_PENDING_READ_WHOLE = 100
_RECORD_COLUMNS = [column.name for column in RECORDS.columns]
_NOT_NULL = {column.name for column in RECORDS.columns if not column.nullable}
_LIMITED_COLUMNS = [
    (column.name, column.type.length)
    for column in RECORDS.columns
    if isinstance(column.type, String) and column.type.length is not None
]


def record_row(event: CheckinCreated) -> RecordRow:
    ancestry, person = event.ancestry, event.person
    return {
        "id": event.id,
        "city_code": event.city_code,
        "checked_at": event.checked_at,
        "client_key": event.client_key,
        "province_id": ancestry.province_id,
        "city_id": ancestry.city_id,
        "county_id": ancestry.county_id,
        "township_id": ancestry.township_id,
        "unit_id": ancestry.unit_id,
        "region_id": event.region_id,
        "checkpoint_id": event.checkpoint_id,
        "checkpoint_kind": event.checkpoint_kind,
        "resident_id": event.resident_id,
        "companion_of": event.companion_of,
        "entered_by": event.entered_by,
        "name_encrypted": person.name_encrypted,
        "name_hash": person.name_hash,
        "name_masked": person.name_masked,
        "phone_encrypted": person.phone_encrypted,
        "phone_hash": person.phone_hash,
        "phone_masked": person.phone_masked,
        "id_card_encrypted": person.id_card_encrypted,
        "id_card_hash": person.id_card_hash,
        "id_card_masked": person.id_card_masked,
        "answers_encrypted": event.answers_encrypted,
        "template_id": event.template_id,
        "template_version": event.template_version,
        # One decimal, as the column keeps it on MariaDB; SQLite would keep whatever float it is given.
        "temperature": None if event.temperature is None else round(event.temperature, 1),
        "temperature_source": None if event.temperature_source is None else event.temperature_source.value,
        "temperature_measured_at": event.temperature_measured_at,
        "direction": event.direction.value,
        "status": event.status.value,
        "distance_m": event.distance_m,
        "outside_radius": event.outside_radius,
        "remote_scan": event.remote_scan,
        "decided_by": None,
        "decided_at": None,
        "decision_reason": None,
        "stored_at": None,
    }


def oversized(row: Mapping[str, Any]) -> list[str]:
    """The columns whose value is longer than the column: MySQL refuses them and SQLite would keep them, so the worker
    refuses them on both."""
    return [
        f"{name} is longer than {length}"
        for name, length in _LIMITED_COLUMNS
        if (value := row.get(name)) is not None and len(value) > length
    ]


@dataclass(frozen=True, slots=True)
class Decision:
    status: str
    decided_by: uuid.UUID
    decided_at: datetime
    reason: str | None

    @classmethod
    def of(cls, event: CheckinDecided) -> Decision:
        return cls(event.status.value, event.decided_by, event.decided_at, event.reason)

    def supersedes(self, decided_at: datetime | None) -> bool:
        """Staff may change their mind: the latest decision wins, whatever order the events arrive in."""
        return decided_at is None or self.decided_at > decided_at


@dataclass(slots=True)
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    decisions_applied: int = 0
    decisions_deferred: int = 0
    # Older than (or the same as) the decision the record already carries: a redelivery, or overtaken.
    decisions_stale: int = 0

    def __iadd__(self, other: BatchOutcome) -> BatchOutcome:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.decisions_applied += other.decisions_applied
        self.decisions_deferred += other.decisions_deferred
        self.decisions_stale += other.decisions_stale
        return self


# A rollup row's key: city, UTC hour (or Shanghai day), checkpoint, kind.
HourKey = tuple[str, datetime, int, str]
DayKey = tuple[str, date, int, str]
# A rollup row as the tally hands it over: the key, the ancestry, the counts (`_rollup_columns`' order).
RollupRow = tuple[Any, ...]
_STATUS_INDEX = {status: index for index, status in enumerate(ROLLUP_COUNTS)}
_NULLABLE = frozenset(range(5, 9))  # city_id … unit_id: NULL above the checkpoint's level


def _rollup_columns(time: str) -> tuple[str, ...]:
    return ("city_code", time, "checkpoint_id", "checkpoint_kind", *ANCESTRY, *ROLLUP_COUNTS)


@dataclass(slots=True)
class Tally:
    """What a transaction changes in the rollups, per (city, hour, checkpoint, kind): the counts to add, negative for
    the status a decision moved a record out of, and the checkpoint's ancestry for rows not there yet."""

    counts: dict[HourKey, list[int]] = field(default_factory=dict)
    places: dict[HourKey, tuple[int | None, ...]] = field(default_factory=dict)

    def _cell(self, record: Mapping[Any, Any]) -> list[int]:
        key = (record["city_code"], hour_of(record["checked_at"]), record["checkpoint_id"], record["checkpoint_kind"])
        cell = self.counts.get(key)
        if cell is None:
            cell = self.counts[key] = [0] * len(ROLLUP_COUNTS)
            self.places[key] = tuple(record[name] for name in ANCESTRY)
        return cell

    def stored(self, record: Mapping[Any, Any]) -> None:
        cell = self._cell(record)
        cell[0] += 1
        cell[_STATUS_INDEX[record["status"]]] += 1

    def moved(self, record: Mapping[Any, Any], status: str) -> None:
        """A decision changed a stored record's status from the one in `record` to `status`."""
        if status == record["status"]:
            return
        cell = self._cell(record)
        cell[_STATUS_INDEX[record["status"]]] -= 1
        cell[_STATUS_INDEX[status]] += 1

    def hours(self) -> list[RollupRow]:
        """The rows of `record_hours` to add, in key order (so that two writers lock shared rows in the same order)."""
        places = self.places
        return [(*key, *places[key], *counts) for key, counts in sorted(self.counts.items()) if any(counts)]

    def days(self) -> list[RollupRow]:
        summed: dict[DayKey, list[int]] = {}
        places: dict[DayKey, tuple[int | None, ...]] = {}
        for (city_code, hour, checkpoint_id, kind), counts in self.counts.items():
            key = (city_code, day_of(hour), checkpoint_id, kind)
            cell = summed.get(key)
            if cell is None:
                summed[key] = list(counts)
                places[key] = self.places[city_code, hour, checkpoint_id, kind]
            else:
                for index, count in enumerate(counts):
                    cell[index] += count
        return [(*key, *places[key], *counts) for key, counts in sorted(summed.items()) if any(counts)]


def _compile(dialect: Dialect, statement: Insert, columns: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """An INSERT's SQL for the driver, and the columns in the order it binds them."""
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ())
    if sorted(order) != sorted(columns):
        raise RuntimeError(f"{compiled.string!r} binds {order}, not {columns}")
    return compiled.string, order


@dataclass(frozen=True, slots=True)
class _Insert:
    """An INSERT compiled once per dialect and set of columns and run with plain lists, each value through its column
    type's processor for the dialect (a UUID to its stored text, a time to naive UTC): SQLAlchemy's own handling of
    each row of a 500-row batch (a dict per row, then each value) costs the writer more than the database's work."""

    sql: str
    order: tuple[str, ...]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, dialect: Dialect, table: Table, statement: Insert, columns: Sequence[str]) -> _Insert:
        sql, order = _compile(dialect, statement, columns)
        processors = tuple(
            (position, process)
            for position, name in enumerate(order)
            if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        )
        return cls(sql, order, processors)

    def values(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        order, processors = self.order, self.processors
        converted = []
        for row in rows:
            values = [row[name] for name in order]
            for position, process in processors:
                if (value := values[position]) is not None:
                    values[position] = process(value)
            converted.append(tuple(values))
        return converted


_INSERTS: dict[tuple[str, str, tuple[str, ...]], _Insert] = {}


def _insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _Insert:
    key = (dialect.name, table.name, columns)
    if (found := _INSERTS.get(key)) is None:
        found = _INSERTS[key] = _Insert.of(dialect, table, insert(table), columns)
    return found


@dataclass(frozen=True, slots=True)
class _Upsert:
    """A rollup INSERT that adds its counts to a row already there (its ancestry stays as it is), compiled once per
    dialect and set of columns like `_Insert`, for the tally's tuples."""

    sql: str
    # Where each bound parameter is in a `RollupRow`, and how the time (column 1) becomes what the driver takes.
    picks: tuple[int, ...]
    time: Callable[[Any], Any] | None

    def rows(self, rows: Sequence[RollupRow]) -> list[tuple[Any, ...]]:
        picks, time = self.picks, self.time
        if time is not None:
            rows = [(row[0], time(row[1]), *row[2:]) for row in rows]
        return [tuple(row[index] for index in picks) for row in rows]


_UPSERTS: dict[tuple[str, str, tuple[int, ...]], _Upsert] = {}


def _upsert(dialect: Dialect, table: Table, kept: tuple[int, ...]) -> _Upsert:
    """The upsert of `table` binding the columns at `kept` of its `RollupRow`."""
    key = (dialect.name, table.name, kept)
    if (found := _UPSERTS.get(key)) is not None:
        return found
    statement: Insert
    if dialect.name == "mysql":
        on_mysql = mysql.insert(table)
        statement = on_mysql.on_duplicate_key_update(
            {name: table.c[name] + on_mysql.inserted[name] for name in ROLLUP_COUNTS}
        )
    else:
        on_sqlite = sqlite.insert(table)
        statement = on_sqlite.on_conflict_do_update(
            index_elements=[column.name for column in table.primary_key.columns],
            set_={name: table.c[name] + on_sqlite.excluded[name] for name in ROLLUP_COUNTS},
        )
    names = _rollup_columns("hour" if table is HOURS else "day")
    sql, order = _compile(dialect, statement, [names[index] for index in kept])
    found = _UPSERTS[key] = _Upsert(
        sql,
        tuple(names.index(name) for name in order),
        # The dialect's own form: SQLite's `YYYY-MM-DD HH:MM:SS.ffffff` text, which its comparisons rely on.
        table.c[names[1]].type.dialect_impl(dialect).bind_processor(dialect),
    )
    return found


class KeysTaken(Exception):
    """A check-in of the batch was stored before: the INSERT of the client keys failed, and the transaction with it."""


class Raced(Exception):
    """Another writer decided a record between this transaction's read and its update: roll back and try again."""


class RecordsRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def store(
        self,
        records: Sequence[RecordRow],
        decisions: Sequence[CheckinDecided],
        *,
        now: datetime,
        check_first: bool = False,
    ) -> BatchOutcome:
        """Store the check-ins not stored before (by client key) with any decision already known for them, then apply
        the other decisions to their stored records or keep them for their record's arrival.

        Raises `KeysTaken` when a check-in of the batch was stored before, unless `check_first`: roll back and call
        again with it (see `_claim_keys`)."""
        outcome = BatchOutcome()
        tally = Tally()
        fresh = await self._claim_keys(records, check_first=check_first)
        outcome.duplicates = len(records) - len(fresh)
        arriving = {(row["city_code"], row["id"]): row for row in fresh}

        # A decision waiting for one of these records, or in this very batch, goes into its INSERT: no UPDATE after.
        waiting = await self._pending(arriving)
        known: dict[RecordKey, Decision] = dict(waiting)
        considered = len(waiting)
        later: list[CheckinDecided] = []
        for event in decisions:
            key = (event.city_code, event.record_id)
            if key not in arriving:
                later.append(event)
                continue
            considered += 1
            decision = Decision.of(event)
            current = known.get(key)
            if current is None or decision.supersedes(current.decided_at):
                known[key] = decision
        outcome.decisions_applied = len(known)
        outcome.decisions_stale = considered - len(known)
        for key, decision in known.items():
            arriving[key] |= {
                "status": decision.status,
                "decided_by": decision.decided_by,
                "decided_at": decision.decided_at,
                "decision_reason": decision.reason,
            }

        if fresh:
            # Columns NULL in every row are left out: MariaDB's bulk protocol wants a type for each column it is sent.
            columns = tuple(
                name for name in _RECORD_COLUMNS if name in _NOT_NULL or any(row[name] is not None for row in fresh)
            )
            for row in fresh:
                row["stored_at"] = now
            stored = _insert(self.connection.dialect, RECORDS, columns)
            await self.connection.exec_driver_sql(stored.sql, stored.values(fresh))
            outcome.stored = len(fresh)
            for row in fresh:
                tally.stored(row)
        if waiting:
            await self._delete_pending(waiting)

        newest = _newest(later)
        outcome.decisions_stale += len(later) - len(newest)
        applied, stale, missing = await self._apply_to_stored(newest, tally)
        outcome.decisions_applied += applied
        outcome.decisions_stale += stale
        outcome.decisions_deferred, stale = await self._defer(missing, now=now)
        outcome.decisions_stale += stale
        await self.add_to_rollups(tally)
        return outcome

    async def apply_pending(self, *, received_before: datetime, limit: int = 500) -> int:
        """Apply the decisions kept waiting whose record has been stored since: the record and its decision may reach
        two workers at once, each committing before seeing the other's row."""
        rows = (
            await self.connection.execute(
                select(PENDING)
                .where(PENDING.c.received_at < received_before)
                .order_by(PENDING.c.received_at)
                .limit(limit)
            )
        ).all()
        waiting = {
            (row.city_code, row.record_id): Decision(row.status, row.decided_by, row.decided_at, row.reason)
            for row in rows
        }
        tally = Tally()
        applied, _, missing = await self._apply_to_stored(waiting, tally)
        found = {key: decision for key, decision in waiting.items() if key not in missing}
        if found:
            await self._delete_pending(found)
        await self.add_to_rollups(tally)
        return applied

    async def add_to_rollups(self, tally: Tally) -> None:
        """Add the tally to `record_hours` and `record_days`: one upsert each (in key order, so that two writers lock
        shared rows in the same order). Columns NULL in every row are left out, as for records."""
        for table, rows in ((HOURS, tally.hours()), (DAYS, tally.days())):
            if not rows:
                continue
            kept = tuple(
                index
                for index in range(len(rows[0]))
                if index not in _NULLABLE or any(row[index] is not None for row in rows)
            )
            upsert = _upsert(self.connection.dialect, table, kept)
            await self.connection.exec_driver_sql(upsert.sql, upsert.rows(rows))

    async def provinces(self) -> list[int]:
        """The provinces records are stored under: one in most deployments. Read from the head of their index."""
        result = await self.connection.execute(select(RECORDS.c.province_id).distinct())
        return [int(province) for province in result.scalars()]

    async def purge_records(self, province_id: int, *, before: datetime, limit: int) -> int:
        """Delete up to `limit` records of the province checked in before `before`: one range of its
        `(province_id, checked_at)` index, oldest first. Answers how many went."""
        condition = (RECORDS.c.province_id == province_id) & (RECORDS.c.checked_at < before)
        return await self._delete_bounded(RECORDS, condition, limit)

    async def rollup_provinces(self) -> list[int]:
        """The provinces with counts in either rollup: some may have no records left."""
        statement = union(select(HOURS.c.province_id).distinct(), select(DAYS.c.province_id).distinct())
        return sorted(int(province) for province in (await self.connection.execute(statement)).scalars())

    async def purge_hours(self, province_id: int, *, before: datetime, limit: int) -> int:
        """Delete up to `limit` hourly counts of the province for hours that start before `before`."""
        condition = (HOURS.c.province_id == province_id) & (HOURS.c.hour < before)
        return await self._delete_bounded(HOURS, condition, limit)

    async def purge_days(self, province_id: int, *, before: date, limit: int) -> int:
        condition = (DAYS.c.province_id == province_id) & (DAYS.c.day < before)
        return await self._delete_bounded(DAYS, condition, limit)

    async def recount_hour(self, province_id: int, hour: datetime) -> None:
        """Count the province's records of one hour again (and its day from its hours)."""
        await recount(self.connection, province_id, hour, hour + _HOUR)

    async def recount_day(self, province_id: int, day: date) -> None:
        await recount_days(self.connection, province_id, day, day)

    async def purge_keys(self, *, before: datetime, limit: int) -> int:
        return await self._delete_bounded(KEYS, KEYS.c.checked_at < before, limit)

    async def purge_decisions(self, *, received_before: datetime, limit: int) -> int:
        """Decisions that waited this long never met their record (lost, or purged before them)."""
        return await self._delete_bounded(PENDING, PENDING.c.received_at < received_before, limit)

    async def _delete_bounded(self, table: Table, condition: ColumnElement[bool], limit: int) -> int:
        statement: Delete
        if self.connection.dialect.name == "mysql":
            statement = delete(table).where(condition).with_dialect_options(mysql_limit=limit)
        else:
            # SQLite's DELETE takes no LIMIT (unless built with it): the rows are chosen by rowid.
            rowid: ColumnClause[Any] = literal_column("rowid")
            statement = delete(table).where(rowid.in_(select(rowid).select_from(table).where(condition).limit(limit)))
        result = await self.connection.execute(statement)
        return int(result.rowcount)

    async def _claim_keys(self, records: Sequence[RecordRow], *, check_first: bool) -> list[RecordRow]:
        """Claim the client keys of the batch; answers (copies of) the rows whose check-in is not stored yet, in batch
        order.

        Most batches hold no check-in stored before, so by default the keys go straight in, and a key already there
        fails the INSERT with `KeysTaken`. The caller rolls back and comes again with `check_first`, which looks the
        keys up and claims the new ones only. No INSERT IGNORE: each duplicate would raise a warning, and asyncmy would
        ask for it with a SHOW WARNINGS round trip and log it."""
        unique: dict[tuple[str, uuid.UUID], RecordRow] = {}
        for row in records:
            unique.setdefault((row["city_code"], row["client_key"]), row)
        if check_first:
            stored = {
                (row.city_code, row.client_key)
                async for row in self._select_by_keys(
                    [KEYS.c.city_code, KEYS.c.client_key], (KEYS.c.city_code, KEYS.c.client_key), list(unique)
                )
            }
            unique = {key: row for key, row in unique.items() if key not in stored}
        if not unique:
            return []
        keys = [
            {
                "city_code": row["city_code"],
                "client_key": row["client_key"],
                "record_id": row["id"],
                "checked_at": row["checked_at"],
            }
            for row in unique.values()
        ]
        claim = _insert(self.connection.dialect, KEYS, _KEY_COLUMNS)
        try:
            await self.connection.exec_driver_sql(claim.sql, claim.values(keys))
        except IntegrityError as error:
            if check_first:
                raise  # another worker claimed a key since we looked: the batch is tried again
            raise KeysTaken from error
        return [dict(row) for row in unique.values()]

    async def _pending(self, keys: Mapping[RecordKey, object]) -> dict[RecordKey, Decision]:
        """The decisions waiting for these records. The table is all but empty (a decision waits only when it overtook
        its record): read it whole when it is small, rather than send every key of the batch."""
        if not keys:
            return {}
        columns = [
            PENDING.c[name] for name in ("city_code", "record_id", "status", "decided_by", "decided_at", "reason")
        ]
        cities = sorted({city_code for city_code, _ in keys})
        rows = list(
            await self.connection.execute(
                select(*columns).where(PENDING.c.city_code.in_(cities)).limit(_PENDING_READ_WHOLE + 1)
            )
        )
        if len(rows) > _PENDING_READ_WHOLE:
            rows = [
                row
                async for row in self._select_by_keys(columns, (PENDING.c.city_code, PENDING.c.record_id), list(keys))
            ]
        return {
            (row.city_code, row.record_id): Decision(row.status, row.decided_by, row.decided_at, row.reason)
            for row in rows
            if (row.city_code, row.record_id) in keys
        }

    async def _delete_pending(self, keys: Iterable[RecordKey]) -> None:
        for chunk in _chunks(list(keys)):
            key = (PENDING.c.city_code, PENDING.c.record_id)
            await self.connection.execute(delete(PENDING).where(_cities(key, chunk), tuple_(*key).in_(chunk)))

    async def _apply_to_stored(
        self, decisions: Mapping[RecordKey, Decision], tally: Tally
    ) -> tuple[int, int, dict[RecordKey, Decision]]:
        """Update the stored records these decisions are newer than, and move their counts in the tally from the
        status they had to the new one; answers how many were applied, how many were stale, and the decisions whose
        record is not stored.

        On MySQL the records are read FOR UPDATE: the status read is the one the UPDATE replaces, however many workers
        decide at once, so a count moves once. SQLite takes its write lock only at the UPDATE (the driver begins a
        transaction at the first write), so another writer may change a record in between: the UPDATE then leaves
        it alone and `Raced` rolls the batch back, to be tried again."""
        if not decisions:
            return 0, 0, {}
        # Found by id and city, then updated with the stored `checked_at`, so MySQL prunes to one partition.
        stored = {
            (row.city_code, row.id): row._mapping
            async for row in self._select_by_keys(
                _DECIDED_COLUMNS,
                (RECORDS.c.id, RECORDS.c.city_code),
                sorted((record_id, city_code) for city_code, record_id in decisions),
                lock=True,
            )
        }
        updates = []
        for (city_code, record_id), decision in decisions.items():
            record = stored.get((city_code, record_id))
            if record is None or not decision.supersedes(record["decided_at"]):
                continue
            tally.moved(record, decision.status)
            updates.append(
                {
                    "b_id": record_id,
                    "b_city_code": city_code,
                    "b_checked_at": record["checked_at"],
                    "b_old_status": record["status"],
                    "b_status": decision.status,
                    "b_decided_by": decision.decided_by,
                    "b_decided_at": decision.decided_at,
                    "b_reason": decision.reason,
                }
            )
        if updates:
            result = await self.connection.execute(_UPDATE_DECISION, updates)
            if result.rowcount != len(updates):
                raise Raced(f"{len(updates) - result.rowcount} of {len(updates)} decided records changed meanwhile")
        missing = {key: decision for key, decision in decisions.items() if key not in stored}
        return len(updates), len(decisions) - len(missing) - len(updates), missing

    async def _defer(self, decisions: Mapping[RecordKey, Decision], *, now: datetime) -> tuple[int, int]:
        """Keep decisions for records not stored yet, the latest per record; answers how many were kept and how many
        were older than one kept before."""
        if not decisions:
            return 0, 0
        kept = {
            (row.city_code, row.record_id): row.decided_at
            async for row in self._select_by_keys(
                [PENDING.c.city_code, PENDING.c.record_id, PENDING.c.decided_at],
                (PENDING.c.city_code, PENDING.c.record_id),
                list(decisions),
            )
        }
        new = [
            {
                "city_code": city_code,
                "record_id": record_id,
                "status": decision.status,
                "decided_by": decision.decided_by,
                "decided_at": decision.decided_at,
                "reason": decision.reason,
                "received_at": now,
            }
            for (city_code, record_id), decision in decisions.items()
            if (city_code, record_id) not in kept
        ]
        newer = [
            {
                "b_city_code": city_code,
                "b_record_id": record_id,
                "b_status": decision.status,
                "b_decided_by": decision.decided_by,
                "b_decided_at": decision.decided_at,
                "b_reason": decision.reason,
            }
            for (city_code, record_id), decision in decisions.items()
            if (city_code, record_id) in kept and decision.supersedes(kept[city_code, record_id])
        ]
        if new:
            await self.connection.execute(insert(PENDING), new)
        if newer:
            await self.connection.execute(_UPDATE_PENDING, newer)
        return len(new) + len(newer), len(decisions) - len(new) - len(newer)

    async def _select_by_keys(
        self,
        columns: Sequence[ColumnElement[Any]],
        key: tuple[ColumnElement[Any], ...],
        values: list[tuple[Any, ...]],
        *,
        lock: bool = False,
    ) -> AsyncIterator[Row[Any]]:
        for chunk in _chunks(values):
            statement = select(*columns).where(_cities(key, chunk), tuple_(*key).in_(chunk))
            if lock:
                statement = statement.with_for_update()
            result = await self.connection.execute(statement)
            for row in result:
                yield row


def _newest(events: Iterable[CheckinDecided]) -> dict[RecordKey, Decision]:
    newest: dict[RecordKey, Decision] = {}
    for event in events:
        key = (event.city_code, event.record_id)
        decision = Decision.of(event)
        current = newest.get(key)
        if current is None or decision.supersedes(current.decided_at):
            newest[key] = decision
    return newest


def _cities(key: Sequence[ColumnElement[Any]], values: Sequence[tuple[Any, ...]]) -> ColumnElement[bool]:
    """The keys' cities by themselves: a sharded store's front sends a statement only to the shards it names by
    `city_code` (a row of values is not enough), so a batch written a node at a time stays on its shard."""
    at = next(index for index, column in enumerate(key) if getattr(column, "name", None) == "city_code")
    return key[at].in_(sorted({value[at] for value in values}))


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


_HOUR = timedelta(hours=1)
_KEY_COLUMNS = ("city_code", "client_key", "record_id", "checked_at")
# What a decision needs of its record: where to find it, the decision it carries, and its rollup row's key and place.
_DECIDED_COLUMNS = [
    RECORDS.c[name]
    for name in (
        "id",
        "city_code",
        "checked_at",
        "decided_at",
        "status",
        "checkpoint_id",
        "checkpoint_kind",
        *ANCESTRY,
    )
]


def _newer_than_stored(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return or_(column.is_(None), column < bindparam("b_decided_at"))


_UPDATE_DECISION = (
    update(RECORDS)
    .where(
        RECORDS.c.id == bindparam("b_id"),
        RECORDS.c.city_code == bindparam("b_city_code"),
        RECORDS.c.checked_at == bindparam("b_checked_at"),
        # Again in SQL: another worker may have applied a newer decision since the SELECT.
        _newer_than_stored(RECORDS.c.decided_at),
        # The status whose count the tally moves: a record changed since it was read is not updated (see `Raced`).
        RECORDS.c.status == bindparam("b_old_status"),
    )
    .values(
        status=bindparam("b_status"),
        decided_by=bindparam("b_decided_by"),
        decided_at=bindparam("b_decided_at"),
        decision_reason=bindparam("b_reason"),
    )
)
_UPDATE_PENDING = (
    update(PENDING)
    .where(
        PENDING.c.city_code == bindparam("b_city_code"),
        PENDING.c.record_id == bindparam("b_record_id"),
        _newer_than_stored(PENDING.c.decided_at),
    )
    .values(
        status=bindparam("b_status"),
        decided_by=bindparam("b_decided_by"),
        decided_at=bindparam("b_decided_at"),
        reason=bindparam("b_reason"),
    )
)
