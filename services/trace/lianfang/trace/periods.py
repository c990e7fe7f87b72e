"""The period a query covers: stored times are UTC, people read them in Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from lianfang.common.contracts.rollups import day_of, day_start, hour_of
from lianfang.common.errors import ValidationFailed

__all__ = ["Period", "Split", "resolve_period", "split"]


@dataclass(frozen=True, slots=True)
class Period:
    """From `start` (included) to `end` (excluded), both aware."""

    start: datetime
    end: datetime


def resolve_period(
    start: datetime | None,
    end: datetime | None,
    *,
    default_days: int,
    max_days: int,
    now: datetime | None = None,
) -> Period:
    """`to` defaults to now and `from` to `default_days` before `to`; a period the wrong way round, or longer than
    `max_days` (it bounds every range scan), is a 422 on the field to change."""
    end = end or now or datetime.now(UTC)
    start = start or end - timedelta(days=default_days)
    if end <= start:
        raise ValidationFailed.field("to", "结束时间应晚于开始时间", "period_order")
    if end - start > timedelta(days=max_days):
        raise ValidationFailed.field("from", f"查询时段最长 {max_days} 天，请缩短时段", "period_too_long")
    return Period(start, end)


@dataclass(frozen=True, slots=True)
class Split:
    """A period cut along what counts each part: the whole Shanghai days from `days[0]` to `days[1]` (excluded), the
    whole hours of `hours`, and the `minutes` before the first whole hour and after the last (at most two periods
    each: one at either end)."""

    days: tuple[date, date] | None
    hours: tuple[Period, ...]
    minutes: tuple[Period, ...]


def _nonempty(*periods: Period) -> tuple[Period, ...]:
    return tuple(period for period in periods if period.start < period.end)


def split(period: Period, *, days: bool) -> Split:
    """Where a period's records are counted: from 10:17 to three days later 15:42 (Shanghai), by day, is 10:17–11:00
    from the records, 11:00–24:00 from the hours, two whole days from the days, 00:00–15:00 from the hours again and
    15:00–15:42 from the records. Without `days`, everything between the first and the last whole hour is hours."""
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    first_hour = hour_of(start)
    if first_hour < start:
        first_hour += timedelta(hours=1)
    last_hour = hour_of(end)
    if last_hour <= first_hour:
        return Split(None, (), (Period(start, end),))
    minutes = _nonempty(Period(start, first_hour), Period(last_hour, end))
    if days:
        first_day, end_day = day_of(first_hour), day_of(last_hour)
        if day_start(first_day) < first_hour:
            first_day += timedelta(days=1)
        if first_day < end_day:
            hours = _nonempty(Period(first_hour, day_start(first_day)), Period(day_start(end_day), last_hour))
            return Split((first_day, end_day), hours, minutes)
    return Split(None, (Period(first_hour, last_hour),), minutes)
