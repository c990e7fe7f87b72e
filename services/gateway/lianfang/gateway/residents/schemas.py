from __future__ import annotations

from pydantic import BaseModel, Field

from lianfang.common.validators import MainlandMobile

__all__ = ["DevLogin", "DevPhone", "PhoneBound", "WeChatCode"]


class WeChatCode(BaseModel):
    code: str = Field(min_length=1, max_length=256, description="wx.login / OAuth / getPhoneNumber 返回的 code")


class DevLogin(BaseModel):
    openid: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class DevPhone(BaseModel):
    phone: MainlandMobile


class PhoneBound(BaseModel):
    phone_masked: str
