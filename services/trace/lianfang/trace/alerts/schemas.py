from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from lianfang.trace.models import AlertState
from lianfang.trace.records.schemas import RecordOut

__all__ = [
    "AlertHandling",
    "AlertOut",
    "AlertPage",
    "AlertStep",
    "GateReport",
    "GateReportList",
    "GateReportSearch",
    "GateReported",
    "HandlingCreate",
]


class AlertOut(RecordOut):
    visits_url: str = Field(description="此人近 14 天的到访记录（轨迹查询，记入访问日志）")
    state: AlertState = Field(description="处置状态：pending 待处置 · handling 处置中 · handled 已处置")
    state_label: str
    state_note: str | None = Field(description="最近一次处置的说明")
    state_at: datetime | None = Field(description="最近一次处置的时间（北京时间）")


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None


class HandlingCreate(BaseModel):
    state: AlertState
    note: str | None = Field(default=None, max_length=500, description="处置说明，如：已电话联系，居家观察")


class GateReport(BaseModel):
    """What the gate keeper did with a fever at the gate, for the region's alerts."""

    note: str = Field(min_length=1, max_length=500, description="处置说明，如：已劝返，通知社区医生上门复测")


class AlertStep(BaseModel):
    state: AlertState
    state_label: str
    note: str | None
    at: datetime = Field(description="北京时间")
    by_id: uuid.UUID = Field(description="处置人账号")
    by_region_name: str | None = Field(description="处置人所属地区")


class AlertHandling(BaseModel):
    record_id: uuid.UUID
    state: AlertState
    state_label: str
    steps: list[AlertStep] = Field(description="处置记录，按时间先后")


class GateReportSearch(BaseModel):
    """The staff board's fevers of the day, asked again after a reload: which of them were sent to the alerts."""

    record_ids: list[uuid.UUID] = Field(max_length=1000, description="体温异常的登记")


class GateReported(BaseModel):
    """A fever that was sent to the region's alerts (处置), as its handling stands now."""

    record_id: uuid.UUID
    state: AlertState
    state_label: str
    note: str | None = Field(description="最近一次处置的说明")
    at: datetime = Field(description="最近一次处置的时间（北京时间）")


class GateReportList(BaseModel):
    items: list[GateReported] = Field(description="已报送的登记；未报送的不在其中")
