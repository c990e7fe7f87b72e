from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.contracts.events import STATUS_LABELS, Direction, RecordStatus
from lianfang.trace.directory import CheckpointInfo
from lianfang.trace.periods import shown
from lianfang.trace.records.repository import RecordRow

__all__ = ["PersonOut", "RecordOut", "RecordPage", "kind_label", "person_of"]


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, KIND_LABELS["other"])


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


def person_of(rows: Sequence[RecordRow]) -> PersonOut | None:
    """Who the records (oldest first) are about, as their latest own visit shows them: a phone may also have checked in
    companions."""
    own = [row for row in rows if row.companion_of is None]
    chosen = (own or rows)[-1] if rows else None
    return PersonOut.of(chosen) if chosen else None


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

    @classmethod
    def of(cls, row: RecordRow, checkpoint: CheckpointInfo | None) -> RecordOut:
        status = RecordStatus(row.status)
        return cls(
            id=row.id,
            checked_at=shown(row.checked_at),
            checkpoint_id=row.checkpoint_id,
            checkpoint_name=checkpoint.name if checkpoint else None,
            checkpoint_kind=row.checkpoint_kind,
            checkpoint_kind_label=kind_label(row.checkpoint_kind),
            # A checkpoint never moves to another region, so its region is the record's.
            region_id=row.region_id,
            region_name=checkpoint.region_name if checkpoint else None,
            person=PersonOut.of(row),
            companion=row.companion_of is not None,
            temperature=row.temperature,
            temperature_source=row.temperature_source,
            direction=Direction(row.direction),
            status=status,
            status_label=STATUS_LABELS[status],
        )


class RecordPage(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None
