from __future__ import annotations

from pydantic import BaseModel, Field

from lianfang.common.db import RowId
from lianfang.common.validators import MainlandMobile, Password, PlainText, Username
from lianfang.gateway.models import AccountRole
from lianfang.gateway.schemas import AccountOut

__all__ = ["AccountCreate", "AccountPage", "AccountUpdate", "PasswordReset"]


class AccountCreate(BaseModel):
    username: Username
    password: Password
    name: PlainText = Field(min_length=1, max_length=32)
    phone: MainlandMobile | None = None
    region_id: RowId
    role: AccountRole = AccountRole.admin
    checkpoint_ids: list[RowId] = Field(default_factory=list, max_length=200)


class AccountUpdate(BaseModel):
    name: PlainText | None = Field(default=None, min_length=1, max_length=32)
    phone: MainlandMobile | None = None
    disabled: bool | None = None
    checkpoint_ids: list[RowId] | None = Field(default=None, max_length=200)


class PasswordReset(BaseModel):
    password: Password


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None
