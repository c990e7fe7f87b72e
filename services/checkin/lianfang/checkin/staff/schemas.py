from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lianfang.checkin.checkins.schemas import CheckinRecord
from lianfang.checkin.checkpoints.schemas import CheckpointInfo
from lianfang.common.contracts.events import RecordStatus

__all__ = ["DecisionCreate", "DecisionOut", "PendingArrivals", "StaffCheckpoints"]


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


class PendingArrivals(BaseModel):
    """Oldest first: the person waiting longest at the gate comes first."""

    items: list[CheckinRecord]


class StaffCheckpoints(BaseModel):
    items: list[CheckpointInfo]
