"""Statistics' SQL on the rollups of the records store: `record_days` for whole Asia/Shanghai days, `record_hours` for
whole hours. Every statement names the scope and a range of days or hours: a province is a range of the rollup's
`(province_id, <time>)` index, a city a range of its `(city_id, <time>)` one, and a county, township or unit the range
of its city narrowed to its own column (the path of a region names its city)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.rollups import ANCESTRY, DAYS, HOURS
from lianfang.trace.periods import Period
from lianfang.trace.records.buckets import DAY
from lianfang.trace.records.repository import BucketCounts, CheckpointCounts
from lianfang.trace.scope import Scope

__all__ = ["StatsRepository"]

# The tree's levels, root first: the ancestry without the checkpoint's own region.
_LEVELS = ANCESTRY[:-1]


def _in_scope(table: Table, scope: Scope) -> ColumnElement[bool]:
    own = table.c[_LEVELS[scope.depth]] == scope.region_id
    # The shard key keeps a city's statistics on its shard (a sharded store's front prunes by it).
    shard = [] if scope.city_code is None else [table.c.city_code == scope.city_code]
    if scope.depth < 2 or scope.city_id is None:
        return and_(*shard, own)
    # Below a city the index is the city's; the level's own column narrows what it reads.
    return and_(*shard, table.c.city_id == scope.city_id, own)


def _child_of(table: Table, scope: Scope) -> list[ColumnElement[Any]]:
    """The ancestry column one level below the scope's (NULL for the region's own checkpoints); none below a unit."""
    return [table.c[name] for name in _LEVELS[scope.depth + 1 : scope.depth + 2]]


def _counts(table: Table) -> tuple[ColumnElement[Any], ...]:
    return (func.sum(table.c.records), func.sum(table.c.abnormal), func.sum(table.c.pending))


def _days(first: date, end: date) -> ColumnElement[bool]:
    return and_(DAYS.c.day >= first, DAYS.c.day < end)


def _hours(periods: Sequence[Period]) -> ColumnElement[bool]:
    return or_(*(and_(HOURS.c.hour >= period.start, HOURS.c.hour < period.end) for period in periods))


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def days_by_bucket(self, scope: Scope, first: date, end: date) -> list[BucketCounts]:
        """Counts per sub-region and Shanghai day, for the days from `first` to `end` (excluded)."""
        return await self._by_bucket(DAYS, "day", scope, _days(first, end), lambda day: f"{day:{DAY}}")

    async def hours_by_bucket(self, scope: Scope, periods: Sequence[Period], pattern: str) -> list[BucketCounts]:
        """Counts per sub-region and hour within the periods (each of whole hours), labelled with the Shanghai day or
        hour (`pattern`) the hour lies in: the caller adds up the hours of a day."""
        if not periods:
            return []
        return await self._by_bucket(
            HOURS, "hour", scope, _hours(periods), lambda hour: in_beijing(hour).strftime(pattern)
        )

    async def _by_bucket(
        self, table: Table, time: str, scope: Scope, within: ColumnElement[bool], label: Callable[[Any], str]
    ) -> list[BucketCounts]:
        child = _child_of(table, scope)
        statement = (
            select(*_counts(table), table.c[time], *child)
            .where(_in_scope(table, scope), within)
            .group_by(table.c[time], *child)
        )
        return BucketCounts.of_rows(await self.session.execute(statement), label)

    async def days_by_checkpoint(self, scope: Scope, first: date, end: date) -> list[CheckpointCounts]:
        return await self._by_checkpoint(DAYS, scope, _days(first, end))

    async def hours_by_checkpoint(self, scope: Scope, periods: Sequence[Period]) -> list[CheckpointCounts]:
        if not periods:
            return []
        return await self._by_checkpoint(HOURS, scope, _hours(periods))

    async def _by_checkpoint(self, table: Table, scope: Scope, within: ColumnElement[bool]) -> list[CheckpointCounts]:
        child = _child_of(table, scope)
        keys = (table.c.checkpoint_id, table.c.checkpoint_kind, table.c.region_id, *child)
        statement = select(*_counts(table), *keys).where(_in_scope(table, scope), within).group_by(*keys)
        return CheckpointCounts.of_rows(await self.session.execute(statement))
