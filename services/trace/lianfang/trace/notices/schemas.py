from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["NOTICE_TEXT_MAX", "RiskNoticeCreate", "RiskNoticeOut"]

# The text becomes the subscribe message's `thing1`, which WeChat limits to 20 characters; a cut "请联系 …" could lose
# the phone number it gives, so a longer one is refused and the official shortens it.
NOTICE_TEXT_MAX = 20


class RiskNoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=500, description="所选密接人员的停留记录（筛查结果中的 their_stay.record_id）"
    )
    text: str = Field(max_length=NOTICE_TEXT_MAX, description="告知内容，如“请联系社区 0311-8888”，至多 20 字")
    confirmed: bool = Field(default=False, description="经办人已核对名单并确认发送；未确认的告知不予发送")
    reason: str | None = Field(default=None, max_length=200, description="事由，记入访问日志")


class RiskNoticeOut(BaseModel):
    recipients: int = Field(description="所选人数")
    sent: int = Field(description="已通过微信发送")
    not_subscribed: int = Field(description="有微信账号但未订阅（或已用完订阅次数）")
    no_account: int = Field(description="没有微信账号（同行人员、人工登记），需电话或上门告知")
    failed: int = Field(description="微信接口出错，未发送")
    confirmed_by: uuid.UUID
    confirmed_at: datetime
