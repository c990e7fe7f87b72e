"""The platform's access token (getStableAccessToken), which the other server APIs take."""

from __future__ import annotations

import secrets

from lianfang.gateway.wechat.testing.fake import FakeWeChat
from lianfang.gateway.wechat.testing.state import TOKEN_LIFETIME, TOKEN_RENEWAL_WINDOW, AccessToken, Answer

__all__ = ["stable_token"]


# https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
# The force-refresh quota (20 a day, 30 s apart) is not enforced: the documentation does not say how it answers.
def stable_token(fake: FakeWeChat, method: str, raw_body: bytes) -> Answer:
    if method != "POST":
        return Answer(fake.error(43002))
    payload = fake.json_object(raw_body)
    if isinstance(payload, Answer):
        return payload
    appid = payload.get("appid")
    refused = fake.check_app(
        appid if isinstance(appid, str) else None,
        payload.get("secret") if isinstance(payload.get("secret"), str) else None,
        grant_type=payload.get("grant_type"),
        expected="client_credential",
    )
    if refused is not None:
        return Answer(refused)
    assert isinstance(appid, str)
    now = fake.clock()
    current = fake.state.current_tokens.get(appid)
    if payload.get("force_refresh") is True:
        if current is not None:
            current.revoked = True
        current = None
    elif current is not None and current.expires_at - now <= TOKEN_RENEWAL_WINDOW:
        current = None
    if current is None:
        current = AccessToken(appid, "fake-at-" + secrets.token_urlsafe(48), now + TOKEN_LIFETIME)
        fake.state.tokens[current.value] = current
        fake.state.current_tokens[appid] = current
    return Answer({"access_token": current.value, "expires_in": int(current.expires_at - now)})
