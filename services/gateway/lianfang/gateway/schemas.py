"""Shapes shared by the gateway's routers: the token answer and how an account or resident is shown."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from lianfang.gateway.models import Account, AccountRole, Resident

__all__ = ["AccountOut", "AdminSession", "ResidentOut", "ResidentSession", "TokenPair"]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class AccountOut(BaseModel):
    id: uuid.UUID
    username: str
    name: str
    phone_masked: str | None
    role: AccountRole
    region_id: int
    region_path: str
    checkpoint_ids: list[int]
    disabled: bool
    must_change_password: bool
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls.model_validate(account, from_attributes=True)


class ResidentOut(BaseModel):
    id: uuid.UUID
    role: Literal["resident"] = "resident"
    phone_masked: str | None

    @classmethod
    def of(cls, resident: Resident) -> ResidentOut:
        return cls(id=resident.id, phone_masked=resident.phone_masked)


class AdminSession(TokenPair):
    account: AccountOut
    # Also on the account; said here too because a client must act on it before anything else (issue 16's contract).
    must_change_password: bool


class ResidentSession(TokenPair):
    resident: ResidentOut
