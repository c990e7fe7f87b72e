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
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Delete,
    Row,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from lianfang.common.contracts.events import CheckinDecided
from lianfang.common.contracts.rollups import ANCESTRY, DAYS, HOURS, recount, recount_days
from lianfang.ingest.compiled import compiled_insert, compiled_upsert
from lianfang.ingest.decisions import Decision, newest_decisions
from lianfang.ingest.rows import (
    KEYS,
    NOT_NULL,
    PENDING,
    RECORD_COLUMNS,
    RECORDS,
    REMEASURE_COLUMNS,
    RecordKey,
    RecordRow,
)
from lianfang.ingest.tally import NULLABLE, Tally

__all__ = ["BatchOutcome", "KeysTaken", "Raced", "RecordsRepository"]

# Keys per `IN (…)`: well under SQLite's limit on bound parameters, and a statement MySQL plans as ranges.
_CHUNK = 1000
# Up to this many waiting decisions, the whole table is read instead of looking up the batch's keys.
_PENDING_READ_WHOLE = 100


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
        later = _decide_arriving(arriving, waiting, decisions, outcome)
        await self._insert_records(fresh, now=now, tally=tally)
        outcome.stored = len(fresh)
        if waiting:
            await self._delete_pending(waiting)
        await self._decide_stored(later, tally, outcome, now=now)
        await self.add_to_rollups(tally)
        return outcome

    async def _insert_records(self, rows: Sequence[RecordRow], *, now: datetime, tally: Tally) -> None:
        if not rows:
            return
        # Columns NULL in every row are left out: MariaDB's bulk protocol wants a type for each column it is sent.
        columns = tuple(
            name for name in RECORD_COLUMNS if name in NOT_NULL or any(row[name] is not None for row in rows)
        )
        for row in rows:
            row["stored_at"] = now
        stored = compiled_insert(self.connection.dialect, RECORDS, columns)
        await self.connection.exec_driver_sql(stored.sql, stored.values(rows))
        for row in rows:
            tally.stored(row)

    async def _decide_stored(
        self, events: Sequence[CheckinDecided], tally: Tally, outcome: BatchOutcome, *, now: datetime
    ) -> None:
        """Apply decisions on records not in the batch to the stored ones, and keep the others for their record."""
        newest = newest_decisions(events)
        outcome.decisions_stale += len(events) - len(newest)
        applied, stale, missing = await self._apply_to_stored(newest, tally)
        outcome.decisions_applied += applied
        outcome.decisions_stale += stale
        outcome.decisions_deferred, stale = await self._defer(missing, now=now)
        outcome.decisions_stale += stale

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
        waiting = {(row.city_code, row.record_id): Decision.waiting(row) for row in rows}
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
                if index not in NULLABLE or any(row[index] is not None for row in rows)
            )
            upsert = compiled_upsert(self.connection.dialect, table, kept)
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
        claim = compiled_insert(self.connection.dialect, KEYS, _KEY_COLUMNS)
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
            PENDING.c[name]
            for name in ("city_code", "record_id", "status", "decided_by", "decided_at", "reason", *REMEASURE_COLUMNS)
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
            (row.city_code, row.record_id): Decision.waiting(row)
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
                    **decision.columns("b_"),
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
                **decision.columns(),
                "received_at": now,
            }
            for (city_code, record_id), decision in decisions.items()
            if (city_code, record_id) not in kept
        ]
        newer = [
            {
                "b_city_code": city_code,
                "b_record_id": record_id,
                **decision.columns("b_"),
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


def _decide_arriving(
    arriving: Mapping[RecordKey, RecordRow],
    waiting: Mapping[RecordKey, Decision],
    decisions: Sequence[CheckinDecided],
    outcome: BatchOutcome,
) -> list[CheckinDecided]:
    """Write into the arriving rows the decisions known for them (kept waiting, or in the batch); answers the batch's
    decisions on other records."""
    known: dict[RecordKey, Decision] = dict(waiting)
    considered = len(waiting)
    later: list[CheckinDecided] = []
    for event in decisions:
        key = (event.city_code, event.record_id)
        if key not in arriving:
            later.append(event)
            continue
        considered += 1
        known[key] = Decision.of(event).with_earlier(known.get(key))
    outcome.decisions_applied = len(known)
    outcome.decisions_stale = considered - len(known)
    for key, decision in known.items():
        arriving[key].update(decision.columns(reason="decision_reason"))
    return later


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


def _remeasure_kept(table: Table) -> dict[str, ColumnElement[Any]]:
    """A decision without a re-measure (an approval after one) keeps the row's."""
    return {
        name: func.coalesce(bindparam(f"b_{name}", type_=table.c[name].type), table.c[name])
        for name in REMEASURE_COLUMNS
    }


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
        **_remeasure_kept(RECORDS),
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
        **_remeasure_kept(PENDING),
    )
)
