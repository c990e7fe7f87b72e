"""The fake WeChat's state and how tests set it up: apps, codes, scripted failures, call counts."""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

from lianfang.gateway.wechat.testing.errcodes import BAD_GATEWAY_PAGE, ERRMSG
from lianfang.gateway.wechat.testing.state import (
    CODE_LIFETIME,
    RELEASED_PAGES,
    AccessToken,
    Answer,
    FakeEndpoint,
    LoginCode,
    OAuthCode,
    PhoneCode,
    ScriptedAnswer,
    SentMessage,
    State,
)

__all__ = ["FAKE_APPID", "FAKE_SECRET", "FakeWeChat", "new_code"]

FAKE_APPID: Final = "wx00000000fake0001"
FAKE_SECRET: Final = "fake-wechat-app-secret"  # noqa: S105  (the fake's own, guarding nothing)


class FakeWeChat:
    """The fake's state: the apps it knows, the codes it will accept, the tokens it issued and what it was asked."""

    def __init__(
        self,
        apps: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        released_pages: frozenset[str] = RELEASED_PAGES,
    ) -> None:
        self.apps: dict[str, str] = dict(apps) if apps is not None else {FAKE_APPID: FAKE_SECRET}
        self.clock = clock
        self.released_pages = released_pages
        # The templates the mini-program picked in WeChat's console; None accepts any.
        self.templates: set[str] | None = None
        self.state = State()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> FakeWeChat:
        env = os.environ if environ is None else environ
        pairs = env.get("LIANFANG_FAKE_WECHAT_APPS", "").strip()
        if pairs:
            apps = dict(pair.strip().split(":", 1) for pair in pairs.split(",") if pair.strip())
        else:
            apps = {env.get("LIANFANG_WECHAT_APPID") or FAKE_APPID: env.get("LIANFANG_WECHAT_SECRET") or FAKE_SECRET}
            if env.get("LIANFANG_WECHAT_H5_APPID"):
                apps[env["LIANFANG_WECHAT_H5_APPID"]] = env.get("LIANFANG_WECHAT_H5_SECRET", "")
        return cls(apps)

    def register_login_code(
        self,
        openid: str,
        *,
        code: str | None = None,
        unionid: str | None = None,
        session_key: str | None = None,
        appid: str | None = None,
        blocked: bool = False,
    ) -> str:
        """Make `code` (a new one when None) a wx.login code of `openid`; `blocked` answers it with 40226."""
        code = code or new_code()
        session_key = session_key or base64.b64encode(secrets.token_bytes(16)).decode()
        self.state.login_codes[code] = LoginCode(appid, openid, unionid, session_key, blocked, self.clock())
        return code

    def register_oauth_code(
        self,
        openid: str,
        *,
        code: str | None = None,
        unionid: str | None = None,
        scope: str = "snsapi_base",
        snapshot: bool = False,
        appid: str | None = None,
    ) -> str:
        """Make `code` an H5 web-authorisation code of `openid`; `snapshot` marks a snapshot-page virtual account."""
        code = code or new_code()
        self.state.oauth_codes[code] = OAuthCode(appid, openid, unionid, scope, snapshot, self.clock())
        return code

    def register_phone_code(
        self, phone_number: str, *, code: str | None = None, country_code: str = "86", appid: str | None = None
    ) -> str:
        code = code or new_code()
        self.state.phone_codes[code] = PhoneCode(appid, phone_number, country_code, self.clock())
        return code

    def subscribe(self, openid: str, template_id: str, *, times: int = 1) -> None:
        """What a person's 允许 in wx.requestSubscribeMessage does: one more message of that template may be sent."""
        self.state.subscriptions[(openid, template_id)] += times

    def sent_messages(self) -> list[SentMessage]:
        return list(self.state.sent)

    def fail_next(self, endpoint: FakeEndpoint, errcode: int, *, times: int = 1) -> None:
        """Answer the next `times` calls of `endpoint` with `errcode` and its documented errmsg."""
        self._script(endpoint, ScriptedAnswer(errcode=errcode), times)

    def break_next(
        self, endpoint: FakeEndpoint, *, status_code: int = 502, body: str = BAD_GATEWAY_PAGE, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `endpoint` with something that is not WeChat JSON (a proxy's error page)."""
        self._script(endpoint, ScriptedAnswer(status_code=status_code, body=body), times)

    def calls(self, endpoint: FakeEndpoint) -> int:
        return self.state.calls[endpoint]

    def all_calls(self) -> dict[str, int]:
        return {endpoint.value: self.state.calls[endpoint] for endpoint in FakeEndpoint}

    def revoke_access_tokens(self) -> None:
        """What a force refresh by another system sharing the AppID does: every issued token answers 40001."""
        for token in self.state.tokens.values():
            token.revoked = True
        self.state.current_tokens.clear()

    def reset(self) -> None:
        self.state = State()

    def _script(self, endpoint: FakeEndpoint, answer: ScriptedAnswer, times: int) -> None:
        self.state.scripted.setdefault(endpoint, deque()).extend([answer] * times)

    def take_scripted(self, endpoint: FakeEndpoint) -> ScriptedAnswer | None:
        queue = self.state.scripted.get(endpoint)
        return queue.popleft() if queue else None

    def count(self, endpoint: FakeEndpoint) -> None:
        self.state.calls[endpoint] += 1

    def error(self, errcode: int) -> dict[str, Any]:
        rid = f"{int(self.clock()) & 0xFFFFFFFF:08x}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        return {"errcode": errcode, "errmsg": f"{ERRMSG.get(errcode, 'fake error')}, rid: {rid}"}

    def check_app(
        self, appid: str | None, secret: str | None, *, grant_type: object, expected: str
    ) -> dict[str, Any] | None:
        """WeChat's error for a call whose app, secret or grant type is wrong; None when all three are right."""
        if not appid:
            return self.error(41002)
        if appid not in self.apps:
            return self.error(40013)
        if not secret:
            return self.error(41004)
        if not secrets.compare_digest(secret.encode(), self.apps[appid].encode()):
            return self.error(40125)
        if grant_type != expected:
            return self.error(40002)
        return None

    def expired(self, issued_at: float) -> bool:
        return self.clock() - issued_at > CODE_LIFETIME

    def token(self, query: Mapping[str, str]) -> AccessToken | Answer:
        """The access token a call names, or WeChat's answer to a missing, unknown, revoked or expired one."""
        value = query.get("access_token")
        if not value:
            return Answer(self.error(41001))
        token = self.state.tokens.get(value)
        if token is None or token.revoked:
            return Answer(self.error(40001))
        if self.clock() >= token.expires_at:
            return Answer(self.error(42001))
        return token

    def authorised_body(self, query: Mapping[str, str], raw_body: bytes) -> tuple[AccessToken, dict[str, Any]] | Answer:
        """A server API call's access token and JSON object, or WeChat's answer to a bad one of either."""
        token = self.token(query)
        if isinstance(token, Answer):
            return token
        payload = self.json_object(raw_body)
        return payload if isinstance(payload, Answer) else (token, payload)

    def json_object(self, raw_body: bytes) -> dict[str, Any] | Answer:
        """A call's JSON object, or WeChat's 47001 to a body that is not one."""
        try:
            payload = json.loads(raw_body)
        except ValueError:
            return Answer(self.error(47001))
        return payload if isinstance(payload, dict) else Answer(self.error(47001))


def new_code() -> str:
    return secrets.token_hex(16)
