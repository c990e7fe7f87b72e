from __future__ import annotations

from pydantic import BaseModel, Field

from lianfang.common.settings import WeChatMode
from lianfang.common.validators import MainlandMobile

__all__ = ["DevLogin", "DevPhone", "LoginConfig", "PhoneBound", "PhoneCode", "WeChatCode"]


class WeChatCode(BaseModel):
    code: str = Field(min_length=1, max_length=256, description="wx.login / OAuth / getPhoneNumber 返回的 code")


class DevLogin(BaseModel):
    openid: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class DevPhone(BaseModel):
    phone: MainlandMobile


class PhoneCode(WeChatCode):
    replace: bool = Field(default=False, description="已绑定手机号时换绑；否则直接返回已绑定的号码，不再向微信查询")


class PhoneBound(BaseModel):
    phone: str = Field(description="绑定的手机号，仅返回给本人，用于填写登记表")
    phone_masked: str


class LoginConfig(BaseModel):
    """How the H5 page logs a resident in: WeChat's OAuth redirect with `h5_appid` in live mode, the dev login in dev mode."""

    wechat_mode: WeChatMode
    h5_appid: str | None
    privacy_notice_version: str = Field(description="当前个人信息处理告知的版本：与本机记住的已同意版本不同时再询问")
    # The subscribe-message templates the mini-program asks residents for (wx.requestSubscribeMessage); None when unset.
    decision_template: str | None = None
    checkout_reminder_template: str | None = None
    risk_notice_template: str | None = None
