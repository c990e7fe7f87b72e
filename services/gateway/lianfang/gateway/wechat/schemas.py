from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "MiniProgramSession",
    "OAuthAccessToken",
    "PhoneNumber",
    "PhoneWatermark",
    "StableAccessToken",
]


class _WeChatAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MiniProgramSession(_WeChatAnswer):
    openid: str = Field(min_length=1)
    # WeChat signs and encrypts the person's data with it: it never leaves the gateway and never reaches a log.
    session_key: SecretStr
    unionid: str | None = None


class OAuthAccessToken(_WeChatAnswer):
    access_token: SecretStr
    expires_in: int
    refresh_token: SecretStr
    openid: str = Field(min_length=1)
    scope: str
    unionid: str | None = None
    is_snapshotuser: bool = False


class StableAccessToken(_WeChatAnswer):
    access_token: str = Field(min_length=1)
    expires_in: int = Field(gt=0)


class PhoneWatermark(_WeChatAnswer):
    timestamp: int
    appid: str


class PhoneNumber(_WeChatAnswer):
    # The documentation's example shows `countryCode` as a number, the live API sends a string: accept both.
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    phone_number: str = Field(alias="phoneNumber")
    pure_phone_number: str = Field(alias="purePhoneNumber")
    country_code: str = Field(alias="countryCode")
    watermark: PhoneWatermark
