from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lianfang.checkin.checkins.schemas import CheckinRecord
from lianfang.checkin.checkpoints.schemas import CheckpointInfo
from lianfang.common.contracts.events import RecordStatus

__all__ = [
    "ArrivalAnswer",
    "ArrivalAnswers",
    "DecisionCreate",
    "DecisionOut",
    "PendingArrivals",
    "StaffCheckpoints",
    "TodaysArrivals",
]


class DecisionCreate(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=200)


class DecisionOut(BaseModel):
    id: uuid.UUID
    checkpoint_id: int
    status: RecordStatus
    status_label: str
    decided_by: uuid.UUID
    decided_at: datetime
    reason: str | None


class TodaysArrivals(BaseModel):
    """Everyone checked in at the checkpoint since midnight, Beijing time, oldest first, with their current status."""

    items: list[CheckinRecord]


class PendingArrivals(BaseModel):
    """Oldest first: the person waiting longest at the gate comes first."""

    items: list[CheckinRecord]


class StaffCheckpoints(BaseModel):
    items: list[CheckpointInfo]


class ArrivalAnswer(BaseModel):
    key: str
    label: str = Field(description="表单中该项的名称")
    type: str
    value: str = Field(description="所填内容（文字）；姓名、手机号、身份证号类的项已脱敏")
    masked: bool


class ArrivalAnswers(BaseModel):
    """What the person filled in, for the approval card: kept while the arrival waits for a decision."""

    record_id: uuid.UUID
    template_id: int
    template_version: int
    answers: list[ArrivalAnswer] = Field(description="按表单顺序")
