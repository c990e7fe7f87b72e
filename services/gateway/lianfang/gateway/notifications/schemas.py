from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["DecisionNotice", "NoticeOutcome"]


class DecisionNotice(BaseModel):
    """A staff decision on a resident's check-in, for the resident's subscribe message."""

    resident_id: uuid.UUID
    record_id: uuid.UUID
    checkpoint_name: str = Field(max_length=64)
    status_label: str = Field(max_length=8)
    decided_at: datetime
    reason: str | None = Field(default=None, max_length=200)


class NoticeOutcome(BaseModel):
    sent: bool
    # Why nothing was sent: no template configured, no such resident, or the resident did not subscribe (43101).
    reason: Literal["sent", "not_configured", "no_resident", "not_subscribed"]
