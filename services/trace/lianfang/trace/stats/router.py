from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from lianfang.common.contracts.paths import TRACE
from lianfang.common.db import RowId
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.params import To
from lianfang.trace.stats.schemas import Granularity, StatsOut
from lianfang.trace.stats.service import Stats

__all__ = ["router"]

router = APIRouter(prefix=f"{TRACE}/stats", tags=["统计"])


@router.get("", responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def stats(
    statistics: Stats,
    start: Annotated[
        AwareDatetime, Query(alias="from", description="开始时间（含），ISO 8601 带时区，如 2026-11-01T00:00:00+08:00")
    ],
    end: To = None,
    region_id: Annotated[RowId | None, Query(description="统计该地区及其下级地区；默认本人所属地区")] = None,
    granularity: Annotated[Granularity, Query(description="day：按日（北京时间）；hour：按小时")] = Granularity.day,
    top: Annotated[int, Query(ge=1, le=100, description="列出登记人次最多的卡口数")] = 10,
) -> StatsOut:
    """Records, abnormal and pending counts of a region in the caller's subtree over a period: in total, per direct
    sub-region, per day (Asia/Shanghai) or hour, for the busiest checkpoints and per checkpoint kind. Periods run up to
    `LIANFANG_MAX_PERIOD_DAYS` (92) days by day and `LIANFANG_STATS_MAX_HOURLY_DAYS` (7) by hour."""
    return await statistics.stats(region_id=region_id, start=start, end=end, granularity=granularity, top=top)
