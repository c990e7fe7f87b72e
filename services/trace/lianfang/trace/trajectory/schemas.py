from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lianfang.trace.records.schemas import PersonOut, RecordOut

__all__ = ["TrajectoryOut"]


class TrajectoryOut(BaseModel):
    person: PersonOut | None = Field(description="查无此人（或其记录不在您的管辖范围内）时为空")
    visits: list[RecordOut] = Field(description="按时间先后")
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    truncated: bool = Field(description="记录过多，只列出最早的一部分；请缩短时段")
