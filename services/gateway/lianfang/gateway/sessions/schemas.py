from __future__ import annotations

from pydantic import BaseModel, Field

from lianfang.common.validators import Password

__all__ = ["AdminLogin", "PasswordChange", "RefreshRequest"]


class AdminLogin(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: Password
