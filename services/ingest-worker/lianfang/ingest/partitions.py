"""The monthly partitions of `records` on MySQL and MariaDB (SQLite has none): made ahead, dropped when retention is past.

Migration 0001 partitions the table by RANGE COLUMNS(checked_at) — one partition per month (UTC), named `pYYYYMM`, the
first also holding anything older — and `pmax` (MAXVALUE) for anything later, so no insert is ever refused. The job
splits the months to come off `pmax` while it is still empty, which takes a moment; if it did not run for a while, the
split moves the rows `pmax` took in meanwhile and the months still land where they belong. The retention job drops the
months wholly past the retention period (`lianfang.ingest.retention`). Each job runs on one worker at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["PartitionsMissing", "drop_months_before", "ensure_partitions", "month_partitions", "partition_back"]

TABLE = "records"
_CATCH_ALL = "pmax"
# One worker at a time does each job; the ALTERs of the two jobs queue for the table's metadata lock anyway.
_LOCK = "lianfang.records.partitions"
_RETENTION_LOCK = "lianfang.records.retention"


class PartitionsMissing(RuntimeError):
    """`records` is not partitioned: the store was not made by this history's migrations."""


async def ensure_partitions(
    engine: AsyncEngine, *, months_ahead: int = 3, today: date | None = None, lock_wait_seconds: int = 10
) -> list[str]:
    """Make sure `records` has a partition for this month and each of the next `months_ahead`; answers the names of
    those it added. Idempotent, and safe to run from several workers at once: one of them does the work."""
    if engine.dialect.name != "mysql":
        return []
    first = (today or datetime.now(UTC).date()).replace(day=1)
    last_wanted = _add_months(first, months_ahead)
    months: list[date] = []
    async with engine.connect() as connection, _job_lock(connection, _LOCK, lock_wait_seconds) as held:
        if not held:
            return []  # another worker is at it
        bounds, catch_all = await _layout(connection)
        if not bounds:
            raise PartitionsMissing(f"`{TABLE}` has no monthly partitions: run the records store's migrations")
        month = bounds[-1][1]  # the upper bound of the last month is the first day of the next one
        while month <= last_wanted:
            months.append(month)
            month = _add_months(month, 1)
        if months:
            definitions = ", ".join(_definition(month) for month in months)
            if catch_all:
                await connection.execute(
                    text(
                        f"ALTER TABLE {TABLE} REORGANIZE PARTITION {_CATCH_ALL} INTO "
                        f"({definitions}, PARTITION {_CATCH_ALL} VALUES LESS THAN (MAXVALUE))"
                    )
                )
            else:
                await connection.execute(text(f"ALTER TABLE {TABLE} ADD PARTITION ({definitions})"))
    return [_name(month) for month in months]


async def drop_months_before(engine: AsyncEngine, before: datetime, *, lock_wait_seconds: int = 10) -> list[str]:
    """Drop the monthly partitions of `records` that hold nothing as recent as `before` (their upper bound is at or
    before it): the retention job's fast path, a moment per month instead of a DELETE per row. Answers the names
    dropped; nothing when another worker holds the job's lock. The next partition then takes anything older, as the
    first one always does."""
    if engine.dialect.name != "mysql":
        return []
    cutoff = before.astimezone(UTC).replace(tzinfo=None)
    async with engine.connect() as connection, _job_lock(connection, _RETENTION_LOCK, lock_wait_seconds) as held:
        if not held:
            return []
        bounds, _ = await _layout(connection)
        old = [name for name, bound in bounds if datetime(bound.year, bound.month, bound.day) <= cutoff]
        if old:
            await connection.execute(text(f"ALTER TABLE {TABLE} DROP PARTITION {', '.join(old)}"))
    return old


@asynccontextmanager
async def _job_lock(connection: AsyncConnection, name: str, lock_wait_seconds: int) -> AsyncIterator[bool]:
    """Whether this connection got the job's lock `name` (across workers), held for the block. `lock_wait_seconds` bounds the wait for the table's metadata lock, which a long
    read holds: waiting longer would make every insert queue behind the ALTER. The next run tries again."""
    if await connection.scalar(text("SELECT GET_LOCK(CONCAT(DATABASE(), :name), 0)"), {"name": name}) != 1:
        yield False
        return
    try:
        await connection.execute(text(f"SET SESSION lock_wait_timeout = {int(lock_wait_seconds)}"))
        yield True
    finally:
        await connection.execute(text("SELECT RELEASE_LOCK(CONCAT(DATABASE(), :name))"), {"name": name})


async def partition_back(engine: AsyncEngine, since: date) -> list[str]:
    """Give each month from `since` on a partition of its own where the first partition (which also takes anything
    older) holds several: for a store filled with past records (an import, `lianfang demo-records`), so that
    retention can drop their months whole. Answers the names of the partitions added. Copies the rows of the first
    partition: meant for a store that is empty or nearly so."""
    if engine.dialect.name != "mysql":
        return []
    months: list[date] = []
    async with engine.connect() as connection, _job_lock(connection, _LOCK, lock_wait_seconds=60) as held:
        if not held:
            return []
        bounds, _ = await _layout(connection)
        if not bounds:
            raise PartitionsMissing(f"`{TABLE}` has no monthly partitions: run the records store's migrations")
        first_month = _add_months(bounds[0][1], -1)
        month = since.replace(day=1)
        while month < first_month:
            months.append(month)
            month = _add_months(month, 1)
        if months:
            definitions = ", ".join(_definition(month) for month in [*months, first_month])
            first = _name(first_month)
            await connection.execute(text(f"ALTER TABLE {TABLE} REORGANIZE PARTITION {first} INTO ({definitions})"))
    return [_name(month) for month in months]


async def month_partitions(engine: AsyncEngine) -> list[str]:
    """The partitions of `records` in order, `pmax` last; empty where the table is not partitioned (SQLite)."""
    if engine.dialect.name != "mysql":
        return []
    async with engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = :table AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION"
            ),
            {"table": TABLE},
        )
        return [str(name) for name in result.scalars()]


async def _layout(connection: AsyncConnection) -> tuple[list[tuple[str, date]], bool]:
    """The bounded partitions in order with their upper bounds, and whether the MAXVALUE partition is there."""
    result = await connection.execute(
        text(
            "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table AND PARTITION_NAME IS NOT NULL "
            "ORDER BY PARTITION_ORDINAL_POSITION"
        ),
        {"table": TABLE},
    )
    bounds: list[tuple[str, date]] = []
    catch_all = False
    for name, description in result:
        if description == "MAXVALUE":
            catch_all = True
        else:
            # `'2026-12-01 00:00:00'`, quoted as MySQL shows RANGE COLUMNS bounds.
            bounds.append((str(name), date.fromisoformat(str(description).strip("'")[:10])))
    return bounds, catch_all


def _name(month: date) -> str:
    return f"p{month:%Y%m}"


def _definition(month: date) -> str:
    return f"PARTITION {_name(month)} VALUES LESS THAN ('{_add_months(month, 1):%Y-%m-%d} 00:00:00')"


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
