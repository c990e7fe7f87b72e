from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from lianfang.gateway.models import LoginEvent, LoginOutcome

__all__ = ["OUTCOME_LABELS", "LoginEventOut", "LoginEventPage"]

OUTCOME_LABELS = {
    LoginOutcome.succeeded: "登录成功",
    LoginOutcome.failed: "用户名或密码错误",
    LoginOutcome.lockout: "连续错误，已锁定",
    LoginOutcome.locked: "锁定期间尝试",
    LoginOutcome.disabled: "账号已停用",
}


class LoginEventOut(BaseModel):
    id: uuid.UUID
    at: datetime
    username: str
    account_id: uuid.UUID | None
    name: str | None
    region_id: int | None
    outcome: LoginOutcome
    outcome_label: str
    address: str
    user_agent: str | None

    @classmethod
    def of(cls, event: LoginEvent) -> LoginEventOut:
        return cls(
            id=event.id,
            at=event.at,
            username=event.username,
            account_id=event.account_id,
            name=event.name,
            region_id=event.region_id,
            outcome=event.outcome,
            outcome_label=OUTCOME_LABELS[event.outcome],
            address=event.address,
            user_agent=event.user_agent,
        )


class LoginEventPage(BaseModel):
    items: list[LoginEventOut]
    next_cursor: str | None
