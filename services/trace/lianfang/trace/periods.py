"""The period a query covers: stored times are UTC, people read them in Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from lianfang.common.errors import ValidationFailed

__all__ = ["CHINA", "Period", "resolve_period", "shown"]

# Mainland China has kept UTC+8 without daylight saving since 1991, so a fixed offset needs no tz database.
CHINA: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


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


def shown(moment: datetime) -> datetime:
    return moment.astimezone(CHINA)
