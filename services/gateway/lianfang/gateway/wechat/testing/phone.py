"""The phone number a person agreed to share (getPhoneNumber's code)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from lianfang.gateway.wechat.testing.fake import FakeWeChat
from lianfang.gateway.wechat.testing.state import Answer

__all__ = ["phone_number"]


# https://developers.weixin.qq.com/miniprogram/dev/server/API/user-info/phone-number/api_getphonenumber
def phone_number(fake: FakeWeChat, query: Mapping[str, str], raw_body: bytes) -> Answer:
    token = fake.token(query)
    if isinstance(token, Answer):
        return token
    try:
        payload = json.loads(raw_body)
    except ValueError:
        return Answer(fake.error(47001))
    code = payload.get("code") if isinstance(payload, dict) else None
    phone = fake.state.phone_codes.get(code) if isinstance(code, str) else None
    if phone is None or phone.used or phone.appid not in (None, token.appid) or fake.expired(phone.issued_at):
        return Answer(fake.error(40029))
    phone.used = True
    # Numbers outside the mainland carry their country code in `phoneNumber` ("国外手机号会有区号").
    full = phone.phone_number if phone.country_code == "86" else f"+{phone.country_code}{phone.phone_number}"
    return Answer(
        {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": full,
                "purePhoneNumber": phone.phone_number,
                "countryCode": phone.country_code,
                "watermark": {"timestamp": int(fake.clock()), "appid": token.appid},
            },
        }
    )
