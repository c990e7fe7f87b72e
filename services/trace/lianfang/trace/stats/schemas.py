from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from lianfang.trace.records.schemas import PlaceOut

__all__ = [
    "CheckpointStatsOut",
    "CountsOut",
    "Granularity",
    "KindStatsOut",
    "PointOut",
    "RegionStatsOut",
    "StatsOut",
]


class Granularity(StrEnum):
    day = "day"
    hour = "hour"


class CountsOut(BaseModel):
    records: int = Field(description="登记人次")
    abnormal: int = Field(description="体温异常")
    pending: int = Field(description="待审核")


class PointOut(CountsOut):
    at: datetime = Field(description="该日（或该小时）的开始，北京时间（+08:00）")


class RegionStatsOut(BaseModel):
    region_id: int
    region_name: str | None = Field(description="地区名称；地区与卡口服务暂不可用时为空")
    own: bool = Field(description="本级：直属于所查地区（不在任何下级地区）的卡口的记录")
    total: CountsOut
    series: list[PointOut]


class CheckpointStatsOut(PlaceOut, CountsOut):
    pass


class KindStatsOut(CountsOut):
    kind: str
    kind_label: str


class StatsOut(BaseModel):
    region_id: int
    region_name: str | None
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    granularity: Granularity
    total: CountsOut
    series: list[PointOut] = Field(description="每日（或每小时）一点，没有记录的时段计 0")
    children: list[RegionStatsOut] = Field(
        description="有记录的各直属下级地区（及本级），按登记人次从多到少；时段内没有记录的下级地区不列出"
    )
    busiest_checkpoints: list[CheckpointStatsOut] = Field(description="登记人次最多的卡口")
    kinds: list[KindStatsOut] = Field(description="按卡口类型")
