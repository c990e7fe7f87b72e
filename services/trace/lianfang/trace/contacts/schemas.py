from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from lianfang.common.beijing import in_beijing
from lianfang.trace.contacts.stays import Stay
from lianfang.trace.records.schemas import PersonFull, PersonOut, PlaceOut

__all__ = ["ContactOut", "ContactsOut", "ContactsQuery", "IndexOut", "OverlapOut", "SpanOut", "StayOut"]


class ContactsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(default=None, max_length=20, description="被筛查人的手机号")
    name: str | None = Field(
        default=None, max_length=50, description="被筛查人的姓名（与手机号一起：共用手机号的人各自分开）"
    )
    id_card: str | None = Field(default=None, max_length=24, description="被筛查人的身份证号")
    person_id: uuid.UUID | None = Field(default=None, description="被筛查人的居民账号")
    start: AwareDatetime | None = Field(default=None, alias="from", description="开始时间（含），默认 14 天前")
    end: AwareDatetime | None = Field(default=None, alias="to", description="结束时间（不含），默认为现在")
    window_minutes: int = Field(default=30, ge=0, le=720, description="前后放宽的分钟数")
    second_degree: bool = Field(default=False, description="同时筛查次密接（密接者的密接）")
    unmask: bool = Field(
        default=False, description="显示被筛查人完整的姓名、手机号、身份证号（须填写事由 reason，记入访问日志）"
    )
    reason: str | None = Field(default=None, max_length=200, description="筛查事由，记入访问日志")


class SpanOut(BaseModel):
    record_id: uuid.UUID = Field(description="进入（或只有离开时的离开）登记记录")
    start: datetime
    end: datetime
    start_assumed: bool = Field(description="只有离开登记，开始时间按该类卡口的停留时长推算")
    end_assumed: bool = Field(description="没有离开登记，结束时间按该类卡口的停留时长推算")

    @classmethod
    def of(cls, stay: Stay) -> SpanOut:
        return cls(
            record_id=stay.row.id,
            start=in_beijing(stay.start),
            end=in_beijing(stay.end),
            start_assumed=stay.start_assumed,
            end_assumed=stay.end_assumed,
        )


class StayOut(PlaceOut, SpanOut):
    pass


class IndexOut(BaseModel):
    person: PersonOut | None = Field(description="查无此人（或其记录不在您的管辖范围内）时为空")
    unmasked: PersonFull | None = Field(default=None, description="完整个人信息，仅在 unmask=true 并填写事由时给出")
    stays: list[StayOut]


class OverlapOut(PlaceOut):
    their_stay: SpanOut
    index_stay: SpanOut = Field(description="被筛查人的停留；次密接为经由的密接者的停留")
    minutes_together: float = Field(description="同时在场的分钟数")
    gap_minutes: float = Field(description="未同时在场时，一人离开与另一人到达相隔的分钟数")


class ContactOut(BaseModel):
    id: str = Field(description="本次结果中的编号，次密接的 via 引用它")
    degree: Literal[1, 2]
    person: PersonOut
    minutes_together: float
    gap_minutes: float = Field(description="最近一次相遇相隔的分钟数，同时在场为 0")
    overlaps: list[OverlapOut] = Field(description="按接触程度由近及远")
    via: list[str] = Field(description="次密接：经由的密接者编号")


class ContactsOut(BaseModel):
    index: IndexOut
    contacts: list[ContactOut] = Field(description="密接，按接触程度由近及远")
    second_degree: list[ContactOut] | None = Field(description="次密接（未要求时为空）")
    window_minutes: int
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    truncated: bool = Field(description="结果过多，只列出最近的一部分")
