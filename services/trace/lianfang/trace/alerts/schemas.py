from __future__ import annotations

from pydantic import BaseModel, Field

from lianfang.trace.records.schemas import RecordOut

__all__ = ["AlertOut", "AlertPage"]


class AlertOut(RecordOut):
    visits_url: str = Field(description="此人近 14 天的到访记录（轨迹查询，记入访问日志）")


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None
