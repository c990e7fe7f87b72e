"""What the fake WeChat keeps: the codes it will accept, the tokens it issued, what it was asked and sent."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "CODE_LIFETIME",
    "RELEASED_PAGES",
    "TOKEN_LIFETIME",
    "TOKEN_RENEWAL_WINDOW",
    "AccessToken",
    "Answer",
    "FakeEndpoint",
    "Image",
    "LoginCode",
    "OAuthCode",
    "PhoneCode",
    "ScriptedAnswer",
    "SentMessage",
    "State",
]

# Both lifetimes are the documented ones: a code lives five minutes, a stable token 7200 seconds and is renewed by the
# platform in its last five minutes.
CODE_LIFETIME: Final = 300.0
TOKEN_LIFETIME: Final = 7200
TOKEN_RENEWAL_WINDOW: Final = 300.0


# Ruff takes the `token` members for hard-coded passwords.
class FakeEndpoint(StrEnum):
    code_to_session = "jscode2session"
    oauth_access_token = "oauth2_access_token"  # noqa: S105
    stable_token = "stable_token"  # noqa: S105
    phone_number = "getuserphonenumber"
    wxacode_unlimited = "getwxacodeunlimit"
    subscribe_send = "subscribe_send"


@dataclass(frozen=True, slots=True)
class SentMessage:
    touser: str
    template_id: str
    page: str | None
    data: dict[str, str]
    miniprogram_state: str


# The pages of the mini-program's released version (web/mp's app.json): a code may only open one of them.
RELEASED_PAGES: Final = frozenset({"pages/checkin/index", "pages/mine/index"})


@dataclass(slots=True)
class LoginCode:
    appid: str | None
    openid: str
    unionid: str | None
    session_key: str
    blocked: bool
    issued_at: float
    used: bool = False


@dataclass(slots=True)
class OAuthCode:
    appid: str | None
    openid: str
    unionid: str | None
    scope: str
    snapshot: bool
    issued_at: float
    used: bool = False


@dataclass(slots=True)
class PhoneCode:
    appid: str | None
    phone_number: str
    country_code: str
    issued_at: float
    used: bool = False


@dataclass(slots=True)
class AccessToken:
    appid: str
    value: str
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class ScriptedAnswer:
    errcode: int | None = None
    status_code: int = 200
    body: str = ""


@dataclass(slots=True)
class Answer:
    body: dict[str, Any]
    # WeChat labels the jscode2session answer text/plain.
    media_type: str = "application/json"


@dataclass(slots=True)
class Image:
    content: bytes
    media_type: str


@dataclass(slots=True)
class State:
    login_codes: dict[str, LoginCode] = field(default_factory=dict)
    oauth_codes: dict[str, OAuthCode] = field(default_factory=dict)
    phone_codes: dict[str, PhoneCode] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    current_tokens: dict[str, AccessToken] = field(default_factory=dict)
    scripted: dict[FakeEndpoint, deque[ScriptedAnswer]] = field(default_factory=dict)
    # What each person accepted in wx.requestSubscribeMessage: one acceptance, one message.
    subscriptions: Counter[tuple[str, str]] = field(default_factory=Counter)
    sent: list[SentMessage] = field(default_factory=list)
    calls: Counter[FakeEndpoint] = field(default_factory=Counter)
