"""Beijing time: how people read every time the services store in UTC (DESIGN.md, Contracts: times are +08:00).

Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed offset stands for it: no time-zone tables,
and the same shift in Python and in SQL (`+ INTERVAL 8 HOUR`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final

__all__ = ["BEIJING", "BEIJING_HOURS", "BEIJING_OFFSET", "beijing_today", "in_beijing"]

BEIJING_HOURS: Final = 8
BEIJING_OFFSET: Final = timedelta(hours=BEIJING_HOURS)
BEIJING: Final = timezone(BEIJING_OFFSET, "Asia/Shanghai")


def in_beijing(moment: datetime) -> datetime:
    """An aware moment as every answer shows it: Beijing time, with its +08:00 offset."""
    return moment.astimezone(BEIJING)


def beijing_today() -> date:
    return datetime.now(BEIJING).date()
