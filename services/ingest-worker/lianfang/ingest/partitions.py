"""The job that keeps monthly partitions of `records` ready on MySQL and MariaDB (SQLite has none).

Migration 0001 partitions the table by RANGE COLUMNS(checked_at) — one partition per month (UTC), named `pYYYYMM`, the
first also holding anything older — and `pmax` (MAXVALUE) for anything later, so no insert is ever refused. The job
splits the months to come off `pmax` while it is still empty, which takes a moment; if it did not run for a while, the
split moves the rows `pmax` took in meanwhile and the months still land where they belong.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["PartitionsMissing", "ensure_partitions", "month_partitions"]

TABLE = "records"
_CATCH_ALL = "pmax"
_LOCK = "lianfang.records.partitions"


class PartitionsMissing(RuntimeError):
    """`records` is not partitioned: the store was not made by this history's migrations."""


async def ensure_partitions(
    engine: AsyncEngine, *, months_ahead: int = 3, today: date | None = None, lock_wait_seconds: int = 10
) -> list[str]:
    """Make sure `records` has a partition for this month and each of the next `months_ahead`; answers the names of
    those it added. Idempotent, and safe to run from several workers at once: one of them does the work.

    `lock_wait_seconds` bounds the wait for the table's metadata lock, which a long read holds: waiting longer would
    make every insert queue behind the ALTER. The next run tries again."""
    if engine.dialect.name != "mysql":
        return []
    first = (today or datetime.now(UTC).date()).replace(day=1)
    last_wanted = _add_months(first, months_ahead)
    async with engine.connect() as connection:
        if await connection.scalar(text("SELECT GET_LOCK(CONCAT(DATABASE(), :name), 0)"), {"name": _LOCK}) != 1:
            return []  # another worker is at it
        try:
            await connection.execute(text(f"SET SESSION lock_wait_timeout = {int(lock_wait_seconds)}"))
            bounds, catch_all = await _layout(connection)
            if not bounds:
                raise PartitionsMissing(f"`{TABLE}` has no monthly partitions: run the records store's migrations")
            months = []
            month = bounds[-1]  # the upper bound of the last month is the first day of the next one
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
        finally:
            await connection.execute(text("SELECT RELEASE_LOCK(CONCAT(DATABASE(), :name))"), {"name": _LOCK})
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


async def _layout(connection: AsyncConnection) -> tuple[list[date], bool]:
    """The upper bounds of the bounded partitions in order, and whether the MAXVALUE partition is there."""
    result = await connection.execute(
        text(
            "SELECT PARTITION_DESCRIPTION FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = :table AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION"
        ),
        {"table": TABLE},
    )
    bounds: list[date] = []
    catch_all = False
    for description in result.scalars():
        if description == "MAXVALUE":
            catch_all = True
        else:
            # `'2026-12-01 00:00:00'`, quoted as MySQL shows RANGE COLUMNS bounds.
            bounds.append(date.fromisoformat(str(description).strip("'")[:10]))
    return bounds, catch_all


def _name(month: date) -> str:
    return f"p{month:%Y%m}"


def _definition(month: date) -> str:
    return f"PARTITION {_name(month)} VALUES LESS THAN ('{_add_months(month, 1):%Y-%m-%d} 00:00:00')"


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
