from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lianfang.checkin.checkins.schemas import CheckinRecord, Temperature
from lianfang.checkin.checkpoints.schemas import CheckpointInfo
from lianfang.common.cards import CARD_MAX_LENGTH
from lianfang.common.contracts.events import RecordStatus

__all__ = [
    "Arrival",
    "ArrivalAnswer",
    "ArrivalAnswers",
    "CardHolder",
    "CardScan",
    "DecisionCreate",
    "DecisionOut",
    "GateReportMark",
    "GateReportMarks",
    "PendingArrivals",
    "RemeasureCreate",
    "StaffCheckpoints",
    "TodaysArrivals",
]


class DecisionCreate(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=200)


class RemeasureCreate(BaseModel):
    temperature: Temperature = Field(description="复测体温（℃）")


class DecisionOut(BaseModel):
    id: uuid.UUID
    checkpoint_id: int
    status: RecordStatus
    status_label: str
    decided_by: uuid.UUID
    decided_at: datetime
    reason: str | None


class GateReportMark(BaseModel):
    """A fever sent to the region's alerts from the board (处置), as its handling stands (trace keeps it)."""

    record_id: uuid.UUID
    state_label: str = Field(description="处置状态：处置中、已处置")
    note: str | None = Field(description="最近一次处置的说明")
    at: datetime = Field(description="最近一次处置的时间（北京时间）")


class GateReportMarks(BaseModel):
    items: list[GateReportMark]


class Arrival(CheckinRecord):
    """A record as the staff board shows it: with whether the fever was already sent to the alerts."""

    gate_report: GateReportMark | None = Field(
        default=None, description="已报送辖区预警（处置）时有；体温异常且未报送、或查询不到时为空"
    )


class TodaysArrivals(BaseModel):
    """Everyone checked in at the checkpoint since midnight, Beijing time, oldest first, with their current status."""

    items: list[Arrival]


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


class CardScan(BaseModel):
    card: str = Field(max_length=CARD_MAX_LENGTH, description="相机读到的二维码内容")


class CardHolder(BaseModel):
    """The person on a personal code as the gate keeper's screen shows them; the check-in sends the card itself."""

    name_masked: str | None
    phone_masked: str | None
    id_card_masked: str | None
