from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.contracts.events import STATUS_LABELS, Direction, RecordStatus
from lianfang.common.forms.shown import LabelledAnswer
from lianfang.trace.directory import CheckpointInfo
from lianfang.trace.records.repository import RecordRow

__all__ = [
    "TOTAL_CAP",
    "AnswerOut",
    "PersonFull",
    "PersonOut",
    "PlaceOut",
    "RecordDetail",
    "RecordOut",
    "RecordPage",
    "RecordTotal",
    "RemeasureOut",
    "kind_label",
    "person_of",
    "person_row",
    "place_of",
]


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, KIND_LABELS["other"])


# Where records were made: the names come from the registry, and are None while it is unavailable.
class PlaceOut(BaseModel):
    checkpoint_id: int
    checkpoint_name: str | None
    checkpoint_kind: str
    checkpoint_kind_label: str
    region_id: int
    region_name: str | None


def place_of(checkpoint_id: int, kind: str, region_id: int, checkpoint: CheckpointInfo | None) -> PlaceOut:
    return PlaceOut(
        checkpoint_id=checkpoint_id,
        checkpoint_name=checkpoint.name if checkpoint else None,
        checkpoint_kind=kind,
        checkpoint_kind_label=kind_label(kind),
        region_id=region_id,
        region_name=checkpoint.region_name if checkpoint else None,
    )


class PersonOut(BaseModel):
    """A person as lists show them: masked, with their resident account when the visit was their own."""

    person_id: uuid.UUID | None = Field(description="居民账号（本人登记时）；同行人员或人工登记时为空")
    name_masked: str | None
    phone_masked: str | None
    id_card_masked: str | None

    @classmethod
    def of(cls, row: RecordRow) -> PersonOut:
        return cls(
            person_id=row.resident_id if row.companion_of is None else None,
            name_masked=row.name_masked,
            phone_masked=row.phone_masked,
            id_card_masked=row.id_card_masked,
        )


def person_row(rows: Sequence[RecordRow]) -> RecordRow | None:
    """The record that shows best whom the records (oldest first) are about: their latest own visit (a phone may also
    have checked in companions)."""
    own = [row for row in rows if row.companion_of is None]
    return (own or rows)[-1] if rows else None


def person_of(rows: Sequence[RecordRow]) -> PersonOut | None:
    chosen = person_row(rows)
    return PersonOut.of(chosen) if chosen else None


class RemeasureOut(BaseModel):
    """复测: the fever taken again at the gate; this later reading decided the record's status."""

    temperature: float
    measured_by_name: str | None = Field(description="复测的执勤人员")
    measured_at: datetime = Field(description="北京时间（+08:00）")

    @classmethod
    def of(cls, row: RecordRow) -> RemeasureOut | None:
        if row.remeasured_temperature is None or row.remeasured_at is None:
            return None
        return cls(
            temperature=row.remeasured_temperature,
            measured_by_name=row.remeasured_by_name,
            measured_at=in_beijing(row.remeasured_at),
        )


class RecordOut(BaseModel):
    id: uuid.UUID
    checked_at: datetime = Field(description="北京时间（+08:00）")
    checkpoint_id: int
    checkpoint_name: str | None = Field(description="卡口名称；地区与卡口服务暂不可用时为空")
    checkpoint_kind: str
    checkpoint_kind_label: str
    region_id: int
    region_name: str | None
    person: PersonOut
    companion: bool = Field(description="作为同行人员登记")
    temperature: float | None
    temperature_source: str | None
    direction: Direction
    status: RecordStatus
    status_label: str
    distance_m: int | None = Field(default=None, description="与卡口的距离（米）：居民同意共享位置时才有，坐标不保存")
    outside_radius: bool | None = Field(default=None, description="在卡口范围之外登记")
    remote_scan: bool = Field(default=False, description="非现场扫码：从相册或聊天图片识别的二维码进入")
    remeasure: RemeasureOut | None = Field(
        default=None, description="执勤人员复测的体温（以复测为准）；temperature 为首次测量"
    )

    @classmethod
    def of(cls, row: RecordRow, checkpoint: CheckpointInfo | None) -> RecordOut:
        status = RecordStatus(row.status)
        return cls(
            id=row.id,
            checked_at=in_beijing(row.checked_at),
            # A checkpoint never moves to another region, so its region is the record's.
            **place_of(row.checkpoint_id, row.checkpoint_kind, row.region_id, checkpoint).model_dump(),
            person=PersonOut.of(row),
            companion=row.companion_of is not None,
            temperature=row.temperature,
            temperature_source=row.temperature_source,
            direction=Direction(row.direction),
            status=status,
            status_label=STATUS_LABELS[status],
            distance_m=row.distance_m,
            outside_radius=row.outside_radius,
            remote_scan=bool(row.remote_scan),
            remeasure=RemeasureOut.of(row),
        )


# A search's total is counted up to this many records: beyond it a list says "10,000 以上" (an exact count of a wide
# range would read the whole range).
TOTAL_CAP = 10_000


class RecordTotal(BaseModel):
    count: int
    more: bool  # more than `count` (= TOTAL_CAP) records match


class RecordPage(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None
    # On the first page of a search (no cursor) only.
    total: RecordTotal | None


class AnswerOut(BaseModel):
    key: str
    label: str = Field(description="表单中该项的名称（登记时所用版本）")
    type: str
    value: str = Field(description="所填内容（文字）；姓名、手机号、身份证号类的项除非查看完整信息，否则脱敏")
    masked: bool

    @classmethod
    def of(cls, answer: LabelledAnswer) -> AnswerOut:
        return cls(key=answer.key, label=answer.label, type=answer.type, value=answer.text, masked=answer.masked)


class PersonFull(BaseModel):
    """The person's own data in full: only with a reason, written to the access log."""

    name: str | None
    phone: str | None
    id_card: str | None


class RecordDetail(RecordOut):
    template_id: int
    template_version: int
    template_name: str | None = Field(description="表单模板名称；地区与卡口服务暂不可用时为空")
    answers: list[AnswerOut] = Field(description="登记时填写的每一项，按表单顺序")
    temperature_measured_at: datetime | None
    entered_by_staff: bool = Field(description="由执勤人员代为登记")
    decided_at: datetime | None = Field(description="审核时间（北京时间）")
    decision_reason: str | None
    unmasked: PersonFull | None = Field(description="完整个人信息，仅在 unmask=true 并填写事由时给出")
