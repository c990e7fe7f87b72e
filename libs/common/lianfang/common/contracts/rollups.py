"""How the rollups of the records store follow from its records.

A row of `record_hours` counts the records of one checkpoint (under one kind) whose `checked_at` falls in one UTC hour,
by their status now; a row of `record_days` is the sum of the 24 hours of one Asia/Shanghai day, which starts at 16:00
UTC the day before (`lianfang.common.beijing`: a fixed shift, no time-zone tables). A row exists only
where there are records, so its `records` is never 0.

The ingest worker keeps them in the transaction that stores or decides records. What counts them again from the records
— retention at its cut-off, tests that store records directly — uses `recount` and `recount_days`, along one province's
`(province_id, checked_at)` index as retention does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Insert, String, Table, and_, case, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date, DateTime

from lianfang.common.beijing import BEIJING_HOURS, BEIJING_OFFSET
from lianfang.common.contracts.records import ROLLUP_COUNTS, RecordsBase

__all__ = [
    "ANCESTRY",
    "DAYS",
    "HOURS",
    "RECORDS",
    "day_of",
    "day_start",
    "hour_of",
    "recount",
    "recount_days",
    "shanghai_date",
    "utc_hour",
]

RECORDS: Final[Table] = RecordsBase.metadata.tables["records"]
HOURS: Final[Table] = RecordsBase.metadata.tables["record_hours"]
DAYS: Final[Table] = RecordsBase.metadata.tables["record_days"]
# The region columns a rollup row carries from its checkpoint's records, root first.
ANCESTRY: Final = ("province_id", "city_id", "county_id", "township_id", "unit_id", "region_id")
_KEY: Final = ("city_code", "checkpoint_id", "checkpoint_kind")


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour a moment falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> date:
    """The Asia/Shanghai day a moment falls in."""
    return (moment.astimezone(UTC) + BEIJING_OFFSET).date()


def day_start(day: date) -> datetime:
    """The UTC instant a Shanghai day starts."""
    return datetime.combine(day, time(), UTC) - BEIJING_OFFSET


class utc_hour(FunctionElement[datetime]):  # noqa: N801 (named like the SQL functions it stands for)
    """A stored time truncated to its hour, in the form the column stores: `YYYY-MM-DD HH:00:00.000000` text on SQLite,
    which compares with SQLAlchemy's bound datetimes; a DATETIME literal on MySQL."""

    type = DateTime()
    inherit_cache = True


class shanghai_date(FunctionElement[date]):  # noqa: N801
    """The Asia/Shanghai date of a stored (UTC) time: eight hours later, truncated."""

    type = Date()
    inherit_cache = True


def _pattern(compiler: SQLCompiler, pattern: str, **kw: Any) -> str:
    kw["literal_binds"] = True
    return compiler.process(literal(pattern, String()), **kw)


# SQLite's date functions keep milliseconds and round the rest: 10:59:59.9999 would be 11:00. A stored time is
# `YYYY-MM-DD HH:MM:SS.ffffff` text, so its hour is its first 13 characters and its seconds the first 19.
@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return f"(substr({compiler.process(column, **kw)}, 1, 13) || ':00:00.000000')"


@compiles(utc_hour, "mysql")
def _utc_hour_mysql(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return f"DATE_FORMAT({compiler.process(column, **kw)}, {_pattern(compiler, '%Y-%m-%d %H:00:00', **kw)})"


@compiles(shanghai_date, "sqlite")
def _shanghai_date_sqlite(element: shanghai_date, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return f"date(substr({compiler.process(column, **kw)}, 1, 19), '+{BEIJING_HOURS} hours')"


@compiles(shanghai_date, "mysql")
def _shanghai_date_mysql(element: shanghai_date, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return f"DATE({compiler.process(column, **kw)} + INTERVAL {BEIJING_HOURS} HOUR)"


def _status_counts() -> list[ColumnElement[Any]]:
    return [func.count()] + [func.sum(case((RECORDS.c.status == status, 1), else_=0)) for status in ROLLUP_COUNTS[1:]]


def _hours_from_records(province_id: int, start: datetime, end: datetime) -> Insert:
    hour = utc_hour(RECORDS.c.checked_at)
    key = (RECORDS.c.city_code, hour, RECORDS.c.checkpoint_id, RECORDS.c.checkpoint_kind)
    counted = (
        select(*key, *(func.max(RECORDS.c[name]) for name in ANCESTRY), *_status_counts())
        .where(RECORDS.c.province_id == province_id, RECORDS.c.checked_at >= start, RECORDS.c.checked_at < end)
        .group_by(*key)
    )
    return insert(HOURS).from_select(
        ["city_code", "hour", "checkpoint_id", "checkpoint_kind", *ANCESTRY, *ROLLUP_COUNTS], counted
    )


def _days_from_hours(province_id: int, first: date, last: date) -> Insert:
    day = shanghai_date(HOURS.c.hour)
    key = (HOURS.c.city_code, day, HOURS.c.checkpoint_id, HOURS.c.checkpoint_kind)
    summed = (
        select(
            *key,
            *(func.max(HOURS.c[name]) for name in ANCESTRY),
            *(func.sum(HOURS.c[name]) for name in ROLLUP_COUNTS),
        )
        .where(
            HOURS.c.province_id == province_id,
            HOURS.c.hour >= day_start(first),
            HOURS.c.hour < day_start(last + timedelta(days=1)),
        )
        .group_by(*key)
    )
    return insert(DAYS).from_select(
        ["city_code", "day", "checkpoint_id", "checkpoint_kind", *ANCESTRY, *ROLLUP_COUNTS], summed
    )


async def recount(connection: AsyncConnection, province_id: int, start: datetime, end: datetime) -> None:
    """Count the province's whole hours from `start` to `end` (both on the hour) again from its records, and the
    Shanghai days they fall in again from their hours. Hours outside the range must be right already: a day is the sum
    of all its hours."""
    if start != hour_of(start) or end != hour_of(end):
        raise ValueError("a recount covers whole hours")
    if end <= start:
        return
    await connection.execute(
        delete(HOURS).where(HOURS.c.province_id == province_id, HOURS.c.hour >= start, HOURS.c.hour < end)
    )
    await connection.execute(_hours_from_records(province_id, start, end))
    await recount_days(connection, province_id, day_of(start), day_of(end - timedelta(microseconds=1)))


async def recount_days(connection: AsyncConnection, province_id: int, first: date, last: date) -> None:
    """Sum the province's Shanghai days from `first` to `last` (included) again from their hours."""
    await connection.execute(
        delete(DAYS).where(and_(DAYS.c.province_id == province_id, DAYS.c.day >= first, DAYS.c.day <= last))
    )
    await connection.execute(_days_from_hours(province_id, first, last))
