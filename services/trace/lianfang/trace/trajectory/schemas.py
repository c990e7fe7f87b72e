from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from lianfang.trace.contacts.schemas import SpanOut
from lianfang.trace.params import From, Reason, To
from lianfang.trace.records.schemas import PersonFull, PersonOut, RecordOut

__all__ = ["TrajectoryOut", "TrajectoryQuery"]


@dataclass(frozen=True)
class TrajectoryQuery:
    """Whose trajectory, over which period: the parameters of the trajectory and of its printed report alike."""

    phone: Annotated[str | None, Query(max_length=20, description="手机号")] = None
    name: Annotated[str | None, Query(max_length=50, description="姓名（与手机号一起：共用手机号的人各自分开）")] = None
    id_card: Annotated[str | None, Query(max_length=24, description="身份证号")] = None
    person_id: Annotated[uuid.UUID | None, Query(description="居民账号（本人登记的记录）")] = None
    start: From = None
    end: To = None
    unmask: Annotated[
        bool, Query(description="显示完整的姓名、手机号、身份证号（须填写事由 reason，记入访问日志）")
    ] = False
    reason: Reason = None


class TrajectoryOut(BaseModel):
    person: PersonOut | None = Field(description="查无此人（或其记录不在您的管辖范围内）时为空")
    unmasked: PersonFull | None = Field(default=None, description="完整个人信息，仅在 unmask=true 并填写事由时给出")
    visits: list[RecordOut] = Field(description="按时间先后")
    stays: list[SpanOut] = Field(
        description="每次停留：从进入到离开登记，没有离开登记时按该类卡口的停留时长推算；record_id 为进入登记"
    )
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    truncated: bool = Field(description="记录过多，只列出最早的一部分；请缩短时段")
