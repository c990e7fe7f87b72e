from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lianfang.common.beijing import BEIJING_OFFSET, in_beijing


def test_a_stored_utc_time_is_shown_at_its_beijing_wall_clock_time_with_its_offset() -> None:
    shown = in_beijing(datetime(2026, 3, 1, 17, 30, tzinfo=UTC))

    assert shown.isoformat() == "2026-03-02T01:30:00+08:00"
    assert shown.tzname() == "Asia/Shanghai"


def test_the_fixed_offset_is_the_time_zone_databases_in_every_month() -> None:
    zone = ZoneInfo("Asia/Shanghai")

    for month in range(1, 13):
        assert datetime(2026, month, 15, tzinfo=UTC).astimezone(zone).utcoffset() == BEIJING_OFFSET
