from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "RISK_NOTICE_TEXT_MAX",
    "CheckoutReminder",
    "DecisionNotice",
    "NoticeOutcome",
    "RiskNotice",
    "RiskNoticeOutcome",
]

# The official's text is the message's `thing1`: WeChat refuses more than 20 characters, and a cut "请联系 …" could lose
# the very phone number it gives, so the text is refused instead of cut.
RISK_NOTICE_TEXT_MAX = 20


class DecisionNotice(BaseModel):
    """A staff decision on a resident's check-in, for the resident's subscribe message."""

    resident_id: uuid.UUID
    record_id: uuid.UUID
    checkpoint_name: str = Field(max_length=64)
    status_label: str = Field(max_length=8)
    decided_at: datetime
    reason: str | None = Field(default=None, max_length=200)


class CheckoutReminder(BaseModel):
    """A resident's stay whose assumed length is over without a check-out, for the 离开提醒 they subscribed to."""

    resident_id: uuid.UUID
    checkpoint_name: str = Field(max_length=64)
    checked_at: datetime


class NoticeOutcome(BaseModel):
    sent: bool
    # Why nothing was sent: no template configured, no such resident, or the resident did not subscribe (43101).
    reason: Literal["sent", "not_configured", "no_resident", "not_subscribed"]


class RiskNotice(BaseModel):
    """An official's confirmed notice to the residents contact screening found."""

    resident_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1, max_length=RISK_NOTICE_TEXT_MAX)
    region_name: str = Field(max_length=64)
    confirmed_at: datetime


class RiskNoticeOutcome(BaseModel):
    """How many of the residents the notice reached, and why the others were not."""

    sent: int
    not_subscribed: int = Field(description="未订阅（或已用完订阅次数）")
    no_account: int = Field(description="没有该居民账号")
    failed: int = Field(description="微信接口出错，未发送")
