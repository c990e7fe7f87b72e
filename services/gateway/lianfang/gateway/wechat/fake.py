"""A stand-in for api.weixin.qq.com that answers the way WeChat's documentation shows, errors included.

Tests mount it with `httpx.ASGITransport(app=create_fake_wechat_app(fake))`; end-to-end and browser tests run it as a
server:

    uvicorn --factory lianfang.gateway.wechat.fake:create_fake_wechat_app --port 9100

and point the gateway at it with `LIANFANG_WECHAT_API_BASE=http://127.0.0.1:9100`. It accepts the apps the gateway is
configured with (`LIANFANG_WECHAT_APPID`/`_SECRET` and `LIANFANG_WECHAT_H5_APPID`/`_SECRET`), or every `appid:secret`
pair in `LIANFANG_FAKE_WECHAT_APPS`. Codes, scripted errors and call counts are set up from Python through `FakeWeChat`,
or over HTTP under `/_fake/`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from lianfang.gateway.wechat.png import badge_png

__all__ = [
    "FAKE_APPID",
    "FAKE_SECRET",
    "FakeEndpoint",
    "FakeWeChat",
    "SentMessage",
    "create_fake_wechat_app",
]

FAKE_APPID: Final = "wx00000000fake0001"
FAKE_SECRET: Final = "fake-wechat-app-secret"  # noqa: S105  (the fake's own, guarding nothing)

# The errmsg WeChat sends with each errcode (the per-API error tables and the common error code table).
ERRMSG: Final[Mapping[int, str]] = {
    -1: "system error",
    40001: (
        "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, "
        "more details at https://mmbizurl.cn/s/JtxxFh33r"
    ),
    40002: "invalid grant_type",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code been used",
    40226: "code blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43002: "require POST method",
    40097: "invalid args",
    40129: "invalid scene",
    40169: "invalid length for scene, or the data is not json string",
    40003: "invalid openid",
    40037: "invalid template_id",
    41030: "invalid page",
    43101: "user refuse to accept the msg",
    47003: "argument invalid!",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit mustslower retry next minute",
    47001: "data format error",
    85096: "not allow include scancode_time field",
}

_BAD_GATEWAY_PAGE: Final = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"
# Both lifetimes are the documented ones: a code lives five minutes, a stable token 7200 seconds and is renewed by the
# platform in its last five minutes.
_CODE_LIFETIME: Final = 300.0
_TOKEN_LIFETIME: Final = 7200
_TOKEN_RENEWAL_WINDOW: Final = 300.0


# Ruff takes the `token` members for hard-coded passwords.
class FakeEndpoint(StrEnum):
    code_to_session = "jscode2session"
    oauth_access_token = "oauth2_access_token"  # noqa: S105
    stable_token = "stable_token"  # noqa: S105
    phone_number = "getuserphonenumber"
    wxacode_unlimited = "getwxacodeunlimit"
    subscribe_send = "subscribe_send"


# What each kind of subscribe-message value may hold (the documentation's table of keyword types).
_VALUE_RULES: Final[Mapping[str, re.Pattern[str]]] = {
    "thing": re.compile(r"^.{1,20}$", re.S),
    "phrase": re.compile(r"^[\u4e00-\u9fff]{1,5}$"),
    "time": re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$|^\d{1,2}:\d{2}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$"),
    "character_string": re.compile(r"^[0-9A-Za-z_\-]{1,32}$"),
    "number": re.compile(r"^[0-9.]{1,32}$"),
    "name": re.compile(r"^.{1,10}$", re.S),
}
_MINIPROGRAM_STATES: Final = ("developer", "trial", "formal")


@dataclass(frozen=True, slots=True)
class SentMessage:
    touser: str
    template_id: str
    page: str | None
    data: dict[str, str]
    miniprogram_state: str


# The pages of the mini-program's released version (web/mp's app.json): a code may only open one of them.
RELEASED_PAGES: Final = frozenset({"pages/checkin/index", "pages/mine/index"})
_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
_ENV_VERSIONS: Final = ("release", "trial", "develop")


@dataclass(slots=True)
class _LoginCode:
    appid: str | None
    openid: str
    unionid: str | None
    session_key: str
    blocked: bool
    issued_at: float
    used: bool = False


@dataclass(slots=True)
class _OAuthCode:
    appid: str | None
    openid: str
    unionid: str | None
    scope: str
    snapshot: bool
    issued_at: float
    used: bool = False


@dataclass(slots=True)
class _PhoneCode:
    appid: str | None
    phone_number: str
    country_code: str
    issued_at: float
    used: bool = False


@dataclass(slots=True)
class _AccessToken:
    appid: str
    value: str
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class _ScriptedAnswer:
    errcode: int | None = None
    status_code: int = 200
    body: str = ""


@dataclass(slots=True)
class _Answer:
    body: dict[str, Any]
    # WeChat labels the jscode2session answer text/plain.
    media_type: str = "application/json"


@dataclass(slots=True)
class _Image:
    content: bytes
    media_type: str


@dataclass(slots=True)
class _State:
    login_codes: dict[str, _LoginCode] = field(default_factory=dict)
    oauth_codes: dict[str, _OAuthCode] = field(default_factory=dict)
    phone_codes: dict[str, _PhoneCode] = field(default_factory=dict)
    tokens: dict[str, _AccessToken] = field(default_factory=dict)
    current_tokens: dict[str, _AccessToken] = field(default_factory=dict)
    scripted: dict[FakeEndpoint, deque[_ScriptedAnswer]] = field(default_factory=dict)
    # What each person accepted in wx.requestSubscribeMessage: one acceptance, one message.
    subscriptions: Counter[tuple[str, str]] = field(default_factory=Counter)
    sent: list[SentMessage] = field(default_factory=list)
    calls: Counter[FakeEndpoint] = field(default_factory=Counter)


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
        self._state = _State()

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
        code = code or _new_code()
        session_key = session_key or base64.b64encode(secrets.token_bytes(16)).decode()
        self._state.login_codes[code] = _LoginCode(appid, openid, unionid, session_key, blocked, self.clock())
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
        code = code or _new_code()
        self._state.oauth_codes[code] = _OAuthCode(appid, openid, unionid, scope, snapshot, self.clock())
        return code

    def register_phone_code(
        self, phone_number: str, *, code: str | None = None, country_code: str = "86", appid: str | None = None
    ) -> str:
        code = code or _new_code()
        self._state.phone_codes[code] = _PhoneCode(appid, phone_number, country_code, self.clock())
        return code

    def subscribe(self, openid: str, template_id: str, *, times: int = 1) -> None:
        """What a person's 允许 in wx.requestSubscribeMessage does: one more message of that template may be sent."""
        self._state.subscriptions[(openid, template_id)] += times

    def sent_messages(self) -> list[SentMessage]:
        return list(self._state.sent)

    def fail_next(self, endpoint: FakeEndpoint, errcode: int, *, times: int = 1) -> None:
        """Answer the next `times` calls of `endpoint` with `errcode` and its documented errmsg."""
        self._script(endpoint, _ScriptedAnswer(errcode=errcode), times)

    def break_next(
        self, endpoint: FakeEndpoint, *, status_code: int = 502, body: str = _BAD_GATEWAY_PAGE, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `endpoint` with something that is not WeChat JSON (a proxy's error page)."""
        self._script(endpoint, _ScriptedAnswer(status_code=status_code, body=body), times)

    def calls(self, endpoint: FakeEndpoint) -> int:
        return self._state.calls[endpoint]

    def all_calls(self) -> dict[str, int]:
        return {endpoint.value: self._state.calls[endpoint] for endpoint in FakeEndpoint}

    def revoke_access_tokens(self) -> None:
        """What a force refresh by another system sharing the AppID does: every issued token answers 40001."""
        for token in self._state.tokens.values():
            token.revoked = True
        self._state.current_tokens.clear()

    def reset(self) -> None:
        self._state = _State()

    def _script(self, endpoint: FakeEndpoint, answer: _ScriptedAnswer, times: int) -> None:
        self._state.scripted.setdefault(endpoint, deque()).extend([answer] * times)

    def _take_scripted(self, endpoint: FakeEndpoint) -> _ScriptedAnswer | None:
        queue = self._state.scripted.get(endpoint)
        return queue.popleft() if queue else None

    def _count(self, endpoint: FakeEndpoint) -> None:
        self._state.calls[endpoint] += 1

    def error(self, errcode: int) -> dict[str, Any]:
        rid = f"{int(self.clock()) & 0xFFFFFFFF:08x}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        return {"errcode": errcode, "errmsg": f"{ERRMSG.get(errcode, 'fake error')}, rid: {rid}"}

    def _check_app(self, appid: str | None, secret: str | None) -> dict[str, Any] | None:
        if not appid:
            return self.error(41002)
        if appid not in self.apps:
            return self.error(40013)
        if not secret:
            return self.error(41004)
        if not secrets.compare_digest(secret.encode(), self.apps[appid].encode()):
            return self.error(40125)
        return None

    def _expired(self, issued_at: float) -> bool:
        return self.clock() - issued_at > _CODE_LIFETIME

    # https://developers.weixin.qq.com/miniprogram/dev/server/API/user-login/api_code2session
    def code_to_session(self, query: Mapping[str, str]) -> _Answer:
        appid = query.get("appid")
        refused = self._check_app(appid, query.get("secret"))
        if refused is None and query.get("grant_type") != "authorization_code":
            refused = self.error(40002)
        if refused is not None:
            return _Answer(refused, "text/plain")
        code = query.get("js_code")
        if not code:
            return _Answer(self.error(41008), "text/plain")
        login = self._state.login_codes.get(code)
        if login is None or login.appid not in (None, appid) or self._expired(login.issued_at):
            return _Answer(self.error(40029), "text/plain")
        if login.used:
            return _Answer(self.error(40163), "text/plain")
        if login.blocked:
            return _Answer(self.error(40226), "text/plain")
        login.used = True
        body: dict[str, Any] = {"session_key": login.session_key, "openid": login.openid}
        if login.unionid is not None:
            body["unionid"] = login.unionid
        return _Answer(body, "text/plain")

    # https://developers.weixin.qq.com/doc/service/api/webdev/access/api_snsaccesstoken
    def oauth_access_token(self, query: Mapping[str, str]) -> _Answer:
        appid = query.get("appid")
        refused = self._check_app(appid, query.get("secret"))
        if refused is None and query.get("grant_type") != "authorization_code":
            refused = self.error(40002)
        if refused is not None:
            return _Answer(refused)
        code = query.get("code")
        if not code:
            return _Answer(self.error(41008))
        grant = self._state.oauth_codes.get(code)
        if grant is None or grant.appid not in (None, appid) or self._expired(grant.issued_at):
            return _Answer(self.error(40029))
        if grant.used:
            return _Answer(self.error(40163))
        grant.used = True
        body: dict[str, Any] = {
            "access_token": "fake-web-" + secrets.token_urlsafe(32),
            "expires_in": _TOKEN_LIFETIME,
            "refresh_token": "fake-refresh-" + secrets.token_urlsafe(32),
            "openid": grant.openid,
            "scope": grant.scope,
        }
        if grant.snapshot:
            body["is_snapshotuser"] = 1
        # "只有当scope为snsapi_userinfo时返回"
        if grant.unionid is not None and grant.scope == "snsapi_userinfo":
            body["unionid"] = grant.unionid
        return _Answer(body)

    # https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
    # The force-refresh quota (20 a day, 30 s apart) is not enforced: the documentation does not say how it answers.
    def stable_token(self, method: str, raw_body: bytes) -> _Answer:
        if method != "POST":
            return _Answer(self.error(43002))
        try:
            payload = json.loads(raw_body)
        except ValueError:
            return _Answer(self.error(47001))
        if not isinstance(payload, dict):
            return _Answer(self.error(47001))
        appid = payload.get("appid")
        refused = self._check_app(
            appid if isinstance(appid, str) else None,
            payload.get("secret") if isinstance(payload.get("secret"), str) else None,
        )
        if refused is None and payload.get("grant_type") != "client_credential":
            refused = self.error(40002)
        if refused is not None:
            return _Answer(refused)
        assert isinstance(appid, str)
        now = self.clock()
        current = self._state.current_tokens.get(appid)
        if payload.get("force_refresh") is True:
            if current is not None:
                current.revoked = True
            current = None
        elif current is not None and current.expires_at - now <= _TOKEN_RENEWAL_WINDOW:
            current = None
        if current is None:
            current = _AccessToken(appid, "fake-at-" + secrets.token_urlsafe(48), now + _TOKEN_LIFETIME)
            self._state.tokens[current.value] = current
            self._state.current_tokens[appid] = current
        return _Answer({"access_token": current.value, "expires_in": int(current.expires_at - now)})

    # https://developers.weixin.qq.com/miniprogram/dev/server/API/user-info/phone-number/api_getphonenumber
    def phone_number(self, query: Mapping[str, str], raw_body: bytes) -> _Answer:
        token, refused = self._token_problem(query)
        if refused is not None:
            return _Answer(refused)
        assert token is not None
        try:
            payload = json.loads(raw_body)
        except ValueError:
            return _Answer(self.error(47001))
        code = payload.get("code") if isinstance(payload, dict) else None
        phone = self._state.phone_codes.get(code) if isinstance(code, str) else None
        if phone is None or phone.used or phone.appid not in (None, token.appid) or self._expired(phone.issued_at):
            return _Answer(self.error(40029))
        phone.used = True
        # Numbers outside the mainland carry their country code in `phoneNumber` ("国外手机号会有区号").
        full = phone.phone_number if phone.country_code == "86" else f"+{phone.country_code}{phone.phone_number}"
        return _Answer(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": full,
                    "purePhoneNumber": phone.phone_number,
                    "countryCode": phone.country_code,
                    "watermark": {"timestamp": int(self.clock()), "appid": token.appid},
                },
            }
        )

    def _token_problem(self, query: Mapping[str, str]) -> tuple[_AccessToken | None, dict[str, Any] | None]:
        value = query.get("access_token")
        if not value:
            return None, self.error(41001)
        token = self._state.tokens.get(value)
        if token is None or token.revoked:
            return None, self.error(40001)
        if self.clock() >= token.expires_at:
            return None, self.error(42001)
        return token, None

    # https://developers.weixin.qq.com/miniprogram/dev/server/API/qrcode-link/qr-code/api_getunlimitedqrcode.html
    # The image on success (JPEG, or PNG with a transparent background when `is_hyaline`), JSON errors otherwise. The
    # fake draws a PNG in both cases (a stand-in, not a scannable code); the gateway always asks for `is_hyaline`.
    def wxacode_unlimited(self, query: Mapping[str, str], raw_body: bytes) -> _Answer | _Image:
        token, refused = self._token_problem(query)
        if refused is not None:
            return _Answer(refused)
        try:
            payload = json.loads(raw_body)
        except ValueError:
            return _Answer(self.error(47001))
        if not isinstance(payload, dict):
            return _Answer(self.error(47001))
        scene = payload.get("scene")
        if not isinstance(scene, str) or not 1 <= len(scene) <= 32:
            return _Answer(self.error(40169))
        if not _SCENE.match(scene):
            return _Answer(self.error(40129))
        if "scancode_time" in scene:
            return _Answer(self.error(85096))
        page = payload.get("page", "")
        env_version = payload.get("env_version", "release")
        width = payload.get("width", 430)
        check_path = payload.get("check_path", True)
        is_hyaline = payload.get("is_hyaline", False)
        if (
            not isinstance(page, str)
            or env_version not in _ENV_VERSIONS
            or not isinstance(width, int)
            or isinstance(width, bool)
            or not isinstance(check_path, bool)
            or not isinstance(is_hyaline, bool)
        ):
            return _Answer(self.error(40097))
        # "根路径前不要填加 /，不能携带参数"; an unreleased page only when the check is asked for (the default).
        if page.startswith("/") or "?" in page or (check_path and page and page not in self.released_pages):
            return _Answer(self.error(41030))
        assert token is not None
        side = min(1280, max(280, width))
        return _Image(badge_png(f"{token.appid}:{page}:{scene}", side, transparent=is_hyaline), "image/png")

    # https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/subscribe-message/api_sendmessage.html
    def subscribe_send(self, query: Mapping[str, str], raw_body: bytes) -> _Answer:
        token, refused = self._token_problem(query)
        if refused is not None:
            return _Answer(refused)
        try:
            payload = json.loads(raw_body)
        except ValueError:
            return _Answer(self.error(47001))
        if not isinstance(payload, dict):
            return _Answer(self.error(47001))
        touser, template_id, data = payload.get("touser"), payload.get("template_id"), payload.get("data")
        state = payload.get("miniprogram_state", "formal")
        if not isinstance(touser, str) or not touser:
            return _Answer(self.error(40003))
        if not isinstance(template_id, str) or (self.templates is not None and template_id not in self.templates):
            return _Answer(self.error(40037))
        if not isinstance(data, dict) or state not in _MINIPROGRAM_STATES:
            return _Answer(self.error(47003))
        values: dict[str, str] = {}
        for key, item in data.items():
            kind = re.sub(r"\d+$", "", str(key))
            value = item.get("value") if isinstance(item, dict) else None
            rule = _VALUE_RULES.get(kind)
            if not isinstance(value, str) or rule is None or not rule.match(value):
                error = self.error(47003)
                error["errmsg"] = f"argument invalid! data.{key}.value invalid, {error['errmsg'].split(', ', 1)[1]}"
                return _Answer(error)
            values[str(key)] = value
        assert token is not None
        if self._state.subscriptions[(touser, template_id)] <= 0:
            return _Answer(self.error(43101))
        self._state.subscriptions[(touser, template_id)] -= 1
        page = payload.get("page")
        self._state.sent.append(
            SentMessage(touser, template_id, page if isinstance(page, str) else None, values, str(state))
        )
        return _Answer({"errcode": 0, "errmsg": "ok", "msgid": 3_000_000_000 + len(self._state.sent)})

    # https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html (step 1: the person
    # agrees and WeChat redirects back with the code)
    def authorize(self, query: Mapping[str, str]) -> Response:
        appid = query.get("appid", "")
        redirect_uri = query.get("redirect_uri", "")
        if appid not in self.apps or not redirect_uri or query.get("response_type") != "code":
            return PlainTextResponse("请求参数错误", status_code=400)
        scope = query.get("scope", "snsapi_base")
        # A stable person per app unless the test names one, so a browser that logs in twice is the same resident.
        openid = query.get("fake_openid") or "o" + hashlib.sha256(f"{appid}:resident".encode()).hexdigest()[:27]
        code = self.register_oauth_code(
            openid,
            unionid=query.get("fake_unionid"),
            scope=scope,
            snapshot=query.get("fake_snapshot") == "1",
            appid=appid,
        )
        parts = urlsplit(redirect_uri)
        extra = urlencode({"code": code, "state": query.get("state", "")})
        target = urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
        return RedirectResponse(target, status_code=302)


def _new_code() -> str:
    return secrets.token_hex(16)


class LoginCodeIn(BaseModel):
    openid: str
    code: str | None = None
    unionid: str | None = None
    session_key: str | None = None
    appid: str | None = None
    blocked: bool = False


class OAuthCodeIn(BaseModel):
    openid: str
    code: str | None = None
    unionid: str | None = None
    scope: str = "snsapi_base"
    snapshot: bool = False
    appid: str | None = None


class PhoneCodeIn(BaseModel):
    phone_number: str
    code: str | None = None
    country_code: str = "86"
    appid: str | None = None


class SubscriptionIn(BaseModel):
    openid: str
    template_id: str
    times: int = Field(default=1, ge=1)


class FailureIn(BaseModel):
    endpoint: FakeEndpoint
    errcode: int | None = None
    status_code: int = 502
    times: int = Field(default=1, ge=1)


class CodeOut(BaseModel):
    code: str


def create_fake_wechat_app(fake: FakeWeChat | None = None) -> FastAPI:
    fake = fake if fake is not None else FakeWeChat.from_environ()
    app = FastAPI(title="Fake WeChat API")
    app.state.fake = fake

    def render(endpoint: FakeEndpoint, produce: Callable[[], _Answer | _Image]) -> Response:
        fake._count(endpoint)
        scripted = fake._take_scripted(endpoint)
        if scripted is None:
            answer = produce()
            if isinstance(answer, _Image):
                return Response(answer.content, media_type=answer.media_type)
            # ensure_ascii=False: WeChat sends UTF-8 text, not \u escapes.
            content = json.dumps(answer.body, ensure_ascii=False)
            return Response(content, media_type=answer.media_type)
        if scripted.errcode is not None:
            return JSONResponse(fake.error(scripted.errcode))
        return Response(scripted.body, status_code=scripted.status_code, media_type="text/html")

    @app.get("/sns/jscode2session")
    async def code_to_session(request: Request) -> Response:
        return render(FakeEndpoint.code_to_session, lambda: fake.code_to_session(request.query_params))

    @app.get("/sns/oauth2/access_token")
    async def oauth_access_token(request: Request) -> Response:
        return render(FakeEndpoint.oauth_access_token, lambda: fake.oauth_access_token(request.query_params))

    @app.api_route("/cgi-bin/stable_token", methods=["GET", "POST"])
    async def stable_token(request: Request) -> Response:
        raw = await request.body()
        return render(FakeEndpoint.stable_token, lambda: fake.stable_token(request.method, raw))

    @app.post("/wxa/business/getuserphonenumber")
    async def phone_number(request: Request) -> Response:
        raw = await request.body()
        return render(FakeEndpoint.phone_number, lambda: fake.phone_number(request.query_params, raw))

    @app.post("/wxa/getwxacodeunlimit")
    async def wxacode_unlimited(request: Request) -> Response:
        raw = await request.body()
        return render(FakeEndpoint.wxacode_unlimited, lambda: fake.wxacode_unlimited(request.query_params, raw))

    @app.post("/cgi-bin/message/subscribe/send")
    async def subscribe_send(request: Request) -> Response:
        raw = await request.body()
        return render(FakeEndpoint.subscribe_send, lambda: fake.subscribe_send(request.query_params, raw))

    @app.get("/connect/oauth2/authorize")
    async def authorize(request: Request) -> Response:
        return fake.authorize(request.query_params)

    @app.post("/_fake/login-codes", status_code=201)
    async def add_login_code(body: LoginCodeIn) -> CodeOut:
        return CodeOut(code=fake.register_login_code(**body.model_dump()))

    @app.post("/_fake/oauth-codes", status_code=201)
    async def add_oauth_code(body: OAuthCodeIn) -> CodeOut:
        return CodeOut(code=fake.register_oauth_code(**body.model_dump()))

    @app.post("/_fake/phone-codes", status_code=201)
    async def add_phone_code(body: PhoneCodeIn) -> CodeOut:
        return CodeOut(code=fake.register_phone_code(**body.model_dump()))

    @app.post("/_fake/subscriptions", status_code=204)
    async def add_subscription(body: SubscriptionIn) -> None:
        fake.subscribe(body.openid, body.template_id, times=body.times)

    @app.get("/_fake/sent-messages")
    async def sent_messages() -> list[dict[str, Any]]:
        return [
            {"touser": m.touser, "template_id": m.template_id, "page": m.page, "data": m.data}
            for m in fake.sent_messages()
        ]

    @app.post("/_fake/failures", status_code=204)
    async def add_failure(body: FailureIn) -> None:
        if body.errcode is not None:
            fake.fail_next(body.endpoint, body.errcode, times=body.times)
        else:
            fake.break_next(body.endpoint, status_code=body.status_code, times=body.times)

    @app.get("/_fake/calls")
    async def calls() -> dict[str, int]:
        return fake.all_calls()

    @app.post("/_fake/access-tokens/revoke", status_code=204)
    async def revoke_access_tokens() -> None:
        fake.revoke_access_tokens()

    @app.post("/_fake/reset", status_code=204)
    async def reset() -> None:
        fake.reset()

    return app
