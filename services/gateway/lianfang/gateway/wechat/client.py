"""Typed client of the WeChat server APIs behind the resident logins and the phone binding.

Every WeChat failure leaves as one of the problems in `lianfang.gateway.wechat.errors`; the AppSecret, the session key
and the access tokens never appear in a problem or a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal, TypeVar, overload

import httpx
from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis

from lianfang.common.errors import AppError
from lianfang.gateway.wechat.errors import (
    WeChatCodeInvalid,
    WeChatError,
    WeChatPageInvalid,
    WeChatPhoneCodeInvalid,
    WeChatRateLimited,
    WeChatSnapshotUser,
    WeChatUnavailable,
    WeChatUserBlocked,
)
from lianfang.gateway.wechat.schemas import MiniProgramSession, OAuthAccessToken, PhoneNumber, StableAccessToken

__all__ = ["Clock", "RetryPolicy", "WeChatClient"]

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
_Answer = TypeVar("_Answer", bound=BaseModel)

_SYSTEM_BUSY: Final = -1
_ACCESS_TOKEN_INVALID: Final = 40001
_ACCESS_TOKEN_EXPIRED: Final = 42001
_CODE_INVALID: Final = 40029
_CODE_USED: Final = 40163
_USER_BLOCKED: Final = 40226
_RATE_LIMITED: Final = 45011
_QUOTA_REACHED: Final = 45009
_NOT_SUBSCRIBED: Final = 43101
_PAGE_INVALID: Final = 41030
# WeChat's own advice for 45011 is "retry next minute".
_RATE_LIMIT_RETRY_AFTER: Final = 60
# The platform renews a stable token five minutes before it expires; asking earlier only returns the same token again.
_DEFAULT_REFRESH_MARGIN: Final = 300.0
_LOCK_POLL_SECONDS: Final = 0.05

# Failures where the request never left this process, so retrying cannot spend a single-use code twice.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


# The names in log lines; ruff takes the `token` members for hard-coded passwords.
class _Operation(StrEnum):
    code_to_session = "jscode2session"
    oauth_access_token = "oauth2/access_token"  # noqa: S105
    stable_token = "stable_token"  # noqa: S105
    phone_number = "getuserphonenumber"
    wxacode_unlimited = "getwxacodeunlimit"
    subscribe_send = "subscribeMessage.send"


# What an image answer starts with: WeChat sends the code as JPEG, or PNG when the background is transparent.
_IMAGE_SIGNATURES: Final = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying while WeChat answers `errcode -1` (system busy) or cannot be reached."""

    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0
    # The Retry-After of the 503 once every attempt has failed.
    retry_after: int = 5

    def delay(self, attempt: int) -> float:
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        # Jitter spreads the instances that all hit the same busy spell; it protects nothing, so `random` will do.
        return backoff * (0.5 + random.random() / 2)  # noqa: S311


@dataclass(frozen=True, slots=True)
class _CachedToken:
    access_token: str
    refresh_at: float
    expires_at: float


class WeChatClient:
    """Calls api.weixin.qq.com (or whatever `http`'s base URL points at) for one mini-program and one official account.

    `appid`/`secret` are the mini-program's (wx.login codes, phone numbers, the stable access token); `oauth_appid` and
    `oauth_secret` are the official account's whose H5 web authorisation issues the OAuth codes, the same by default.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        cache: Redis,
        *,
        appid: str,
        secret: str,
        oauth_appid: str | None = None,
        oauth_secret: str | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = time.time,
        token_refresh_margin: float = _DEFAULT_REFRESH_MARGIN,
        token_lock_timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._cache = cache
        self._appid = appid
        self._secret = secret
        self._oauth_appid = oauth_appid or appid
        self._oauth_secret = oauth_secret or secret
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._refresh_margin = token_refresh_margin
        self._lock_timeout = token_lock_timeout
        self._token_key = f"lianfang:wechat:stable_token:{appid}"
        self._lock_key = f"{self._token_key}:lock"
        self._local_lock = asyncio.Lock()
        _hide_credentials_in_httpx_logs()

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self._appid!r}, oauth_appid={self._oauth_appid!r})"

    async def code_to_session(self, code: str) -> MiniProgramSession:
        if not code:
            raise WeChatCodeInvalid()
        params = {"appid": self._appid, "secret": self._secret, "js_code": code, "grant_type": "authorization_code"}
        operation = _Operation.code_to_session
        body = await self._call(operation, lambda: self._http.get("/sns/jscode2session", params=params))
        self._raise_for_errcode(operation, body, code_invalid=WeChatCodeInvalid)
        return self._parse(operation, MiniProgramSession, body)

    async def oauth_access_token(self, code: str) -> OAuthAccessToken:
        if not code:
            raise WeChatCodeInvalid()
        params = {
            "appid": self._oauth_appid,
            "secret": self._oauth_secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        operation = _Operation.oauth_access_token
        body = await self._call(operation, lambda: self._http.get("/sns/oauth2/access_token", params=params))
        self._raise_for_errcode(operation, body, code_invalid=WeChatCodeInvalid)
        token = self._parse(operation, OAuthAccessToken, body)
        if token.is_snapshotuser:
            # A snapshot page hands out a virtual openid: logging it in would create a resident who is nobody.
            raise WeChatSnapshotUser()
        return token

    async def stable_access_token(self, force_refresh: bool = False) -> str:
        cached = await self._read_token()
        if cached is not None and not force_refresh and self._is_fresh(cached):
            return cached.access_token
        rejected = cached.access_token if cached is not None and force_refresh else None
        return await self._renew_token(force=force_refresh, rejected=rejected)

    async def user_phone_number(self, code: str) -> PhoneNumber:
        if not code:
            raise WeChatPhoneCodeInvalid()
        access_token = await self.stable_access_token()
        body = await self._request_phone_number(code, access_token)
        if _errcode(body) in (_ACCESS_TOKEN_INVALID, _ACCESS_TOKEN_EXPIRED):
            logger.warning("WeChat rejected the cached access token (errcode %s); renewing it", _errcode(body))
            access_token = await self._renew_token(force=True, rejected=access_token)
            body = await self._request_phone_number(code, access_token)
        operation = _Operation.phone_number
        self._raise_for_errcode(operation, body, code_invalid=WeChatPhoneCodeInvalid)
        return self._parse(operation, PhoneNumber, body.get("phone_info"))

    async def wxacode_unlimited(
        self, scene: str, *, page: str, width: int = 430, env_version: str = "release", check_path: bool = True
    ) -> bytes:
        """A mini-program code opening `page` with `scene` (`wxacode.getUnlimited`), as a PNG with a transparent
        background. Codes made this way never expire and are not counted, but WeChat limits how many a minute."""
        payload = {
            "scene": scene,
            "page": page,
            "width": width,
            "env_version": env_version,
            "check_path": check_path,
            "is_hyaline": True,
        }
        operation = _Operation.wxacode_unlimited
        access_token = await self.stable_access_token()
        answer = await self._request_wxacode(payload, access_token)
        if isinstance(answer, dict) and _errcode(answer) in (_ACCESS_TOKEN_INVALID, _ACCESS_TOKEN_EXPIRED):
            logger.warning("WeChat rejected the cached access token (errcode %s); renewing it", _errcode(answer))
            access_token = await self._renew_token(force=True, rejected=access_token)
            answer = await self._request_wxacode(payload, access_token)
        if isinstance(answer, bytes):
            return answer
        errcode = _errcode(answer)
        if errcode == _PAGE_INVALID:
            logger.error("WeChat refused the code's page %r: the mini-program has no such released page", page)
            raise WeChatPageInvalid(page)
        if errcode == _QUOTA_REACHED:
            logger.warning("WeChat %s: minute limit reached", operation)
            raise WeChatRateLimited(retry_after=_RATE_LIMIT_RETRY_AFTER)
        self._raise_for_errcode(operation, answer, code_invalid=None)
        raise self._unavailable(operation, "an answer with neither an image nor an error")

    async def send_subscribe_message(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str | None, state: str = "formal"
    ) -> bool:
        """One subscribe message (`subscribeMessage.send`); False when the person has not subscribed (43101: they
        declined, or already spent their one acceptance), which is expected and no fault."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": state,
            "lang": "zh_CN",
        }
        if page:
            payload["page"] = page
        operation = _Operation.subscribe_send
        access_token = await self.stable_access_token()
        body = await self._request_subscribe_send(payload, access_token)
        if _errcode(body) in (_ACCESS_TOKEN_INVALID, _ACCESS_TOKEN_EXPIRED):
            logger.warning("WeChat rejected the cached access token (errcode %s); renewing it", _errcode(body))
            access_token = await self._renew_token(force=True, rejected=access_token)
            body = await self._request_subscribe_send(payload, access_token)
        if _errcode(body) == _NOT_SUBSCRIBED:
            logger.info("WeChat %s: not subscribed (43101), nothing sent", operation)
            return False
        if _errcode(body) == _QUOTA_REACHED:
            raise WeChatRateLimited(retry_after=_RATE_LIMIT_RETRY_AFTER)
        self._raise_for_errcode(operation, body, code_invalid=None)
        return True

    async def _request_subscribe_send(self, payload: dict[str, Any], access_token: str) -> dict[str, Any]:
        return await self._call(
            _Operation.subscribe_send,
            lambda: self._http.post(
                "/cgi-bin/message/subscribe/send", params={"access_token": access_token}, json=payload
            ),
        )

    async def _request_wxacode(self, payload: dict[str, Any], access_token: str) -> dict[str, Any] | bytes:
        return await self._call(
            _Operation.wxacode_unlimited,
            lambda: self._http.post("/wxa/getwxacodeunlimit", params={"access_token": access_token}, json=payload),
            images=True,
        )

    async def _request_phone_number(self, code: str, access_token: str) -> dict[str, Any]:
        return await self._call(
            _Operation.phone_number,
            lambda: self._http.post(
                "/wxa/business/getuserphonenumber", params={"access_token": access_token}, json={"code": code}
            ),
        )

    async def _renew_token(self, *, force: bool, rejected: str | None) -> str:
        async with self._local_lock:
            cached = await self._read_token()
            if cached is not None and self._is_usable(cached, rejected):
                return cached.access_token
            owner = uuid.uuid4().hex
            deadline = time.monotonic() + self._lock_timeout
            lock_ms = int(self._lock_timeout * 1000)
            while not await self._cache.set(self._lock_key, owner, nx=True, px=lock_ms):
                # Another instance is renewing: wait for its token instead of spending a force refresh of our own
                # (WeChat allows 20 a day, and each one invalidates the token every other instance holds).
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(_LOCK_POLL_SECONDS)
                cached = await self._read_token()
                if cached is not None and self._is_usable(cached, rejected):
                    return cached.access_token
            try:
                token = await self._fetch_stable_token(force)
                await self._store_token(token)
                return token.access_token
            finally:
                # Not atomic without a script, but the worst a lost race costs is one more normal-mode fetch.
                if _text(await self._cache.get(self._lock_key)) == owner:
                    await self._cache.delete(self._lock_key)

    async def _fetch_stable_token(self, force: bool) -> StableAccessToken:
        payload = {
            "grant_type": "client_credential",
            "appid": self._appid,
            "secret": self._secret,
            "force_refresh": force,
        }
        operation = _Operation.stable_token
        body = await self._call(operation, lambda: self._http.post("/cgi-bin/stable_token", json=payload))
        self._raise_for_errcode(operation, body, code_invalid=None)
        token = self._parse(operation, StableAccessToken, body)
        logger.info("WeChat stable access token fetched", extra={"appid": self._appid, "force_refresh": force})
        return token

    async def _read_token(self) -> _CachedToken | None:
        raw = _text(await self._cache.get(self._token_key))
        if raw is None:
            return None
        try:
            stored = json.loads(raw)
            return _CachedToken(str(stored["access_token"]), float(stored["refresh_at"]), float(stored["expires_at"]))
        except (ValueError, KeyError, TypeError):
            return None

    async def _store_token(self, token: StableAccessToken) -> None:
        now = self._clock()
        lifetime = float(token.expires_in)
        # Half the lifetime at the least, so a token handed out with little time left is not re-fetched on every call.
        refresh_at = now + max(lifetime - self._refresh_margin, lifetime / 2)
        stored = {"access_token": token.access_token, "refresh_at": refresh_at, "expires_at": now + lifetime}
        await self._cache.set(self._token_key, json.dumps(stored), ex=max(1, token.expires_in))

    def _is_fresh(self, token: _CachedToken) -> bool:
        return self._clock() < token.refresh_at

    def _is_usable(self, token: _CachedToken, rejected: str | None) -> bool:
        if rejected is not None:
            return token.access_token != rejected and self._clock() < token.expires_at
        return self._is_fresh(token)

    @overload
    async def _call(
        self, operation: _Operation, send: Callable[[], Awaitable[httpx.Response]], *, images: Literal[False] = False
    ) -> dict[str, Any]: ...

    @overload
    async def _call(
        self, operation: _Operation, send: Callable[[], Awaitable[httpx.Response]], *, images: Literal[True]
    ) -> dict[str, Any] | bytes: ...

    async def _call(
        self, operation: _Operation, send: Callable[[], Awaitable[httpx.Response]], *, images: bool = False
    ) -> dict[str, Any] | bytes:
        attempt = 0
        while True:
            attempt += 1
            retries_left = attempt < self._retry.attempts
            try:
                response = await send()
            except _NOT_SENT as exc:
                if not retries_left:
                    raise self._unavailable(operation, type(exc).__name__) from None
                logger.warning("WeChat %s unreachable (%s), retrying", operation, type(exc).__name__)
                await asyncio.sleep(self._retry.delay(attempt))
                continue
            except httpx.HTTPError as exc:
                # Sent but unanswered: a retry could spend the code twice and fail anyway, so give up at once.
                raise self._unavailable(operation, type(exc).__name__) from None
            if images and response.status_code == httpx.codes.OK and response.content.startswith(_IMAGE_SIGNATURES):
                return response.content
            body = self._decode(operation, response)
            if _errcode(body) == _SYSTEM_BUSY and retries_left:
                logger.warning("WeChat %s busy (errcode -1), retrying", operation)
                await asyncio.sleep(self._retry.delay(attempt))
                continue
            return body

    def _decode(self, operation: _Operation, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != httpx.codes.OK:
            raise self._unavailable(operation, f"HTTP {response.status_code}")
        # WeChat labels some JSON answers text/plain, so the body decides, not the Content-Type.
        try:
            body = json.loads(response.content)
        except ValueError:
            raise self._unavailable(operation, "an answer that is not JSON") from None
        if not isinstance(body, dict):
            raise self._unavailable(operation, "a JSON answer that is not an object")
        return body

    def _unavailable(self, operation: _Operation, reason: str) -> WeChatUnavailable:
        logger.warning("WeChat %s failed: %s", operation, reason)
        return WeChatUnavailable(retry_after=self._retry.retry_after)

    def _raise_for_errcode(
        self, operation: _Operation, body: dict[str, Any], *, code_invalid: type[AppError] | None
    ) -> None:
        errcode = _errcode(body)
        if errcode == 0:
            return
        errmsg = str(body.get("errmsg", ""))
        logger.warning("WeChat %s answered errcode %s: %s", operation, errcode, errmsg)
        if errcode == _SYSTEM_BUSY:
            raise WeChatUnavailable(retry_after=self._retry.retry_after)
        if errcode == _RATE_LIMITED:
            raise WeChatRateLimited(retry_after=_RATE_LIMIT_RETRY_AFTER)
        if errcode in (_CODE_INVALID, _CODE_USED) and code_invalid is not None:
            raise code_invalid()
        if errcode == _USER_BLOCKED:
            raise WeChatUserBlocked()
        logger.error("WeChat %s refused the call for a reason the person cannot fix (errcode %s)", operation, errcode)
        raise WeChatError(errcode)

    def _parse(self, operation: _Operation, model: type[_Answer], data: Any) -> _Answer:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            # Only the locations: the message would quote the input, session key included.
            fields = sorted({".".join(str(part) for part in error["loc"]) or "body" for error in exc.errors()})
            raise self._unavailable(operation, f"unexpected answer (fields {', '.join(fields)})") from None


def _errcode(body: dict[str, Any]) -> int | None:
    """The answer's errcode, 0 when it has none, None when it is not a number."""
    value = body.get("errcode", 0)
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


_CREDENTIAL_IN_URL = re.compile(r"(?<=[?&])(secret|access_token|js_code|code)=[^&\s\"']*")


class _CredentialRedactor(logging.Filter):
    """Masks the AppSecret, codes and tokens in the request line httpx logs at INFO (WeChat wants them in the URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _CREDENTIAL_IN_URL.sub(r"\1=***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _hide_credentials_in_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _CredentialRedactor) for existing in httpx_logger.filters):
        httpx_logger.addFilter(_CredentialRedactor())
