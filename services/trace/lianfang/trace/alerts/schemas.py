from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from lianfang.trace.models import AlertState
from lianfang.trace.records.schemas import RecordOut

__all__ = ["AlertHandling", "AlertOut", "AlertPage", "AlertStep", "HandlingCreate"]


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
