"""A person's login: the mini-program's code2session and the H5 web authorisation (its redirect and its code)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from lianfang.gateway.wechat.testing.fake import FakeWeChat
from lianfang.gateway.wechat.testing.state import TOKEN_LIFETIME, Answer

__all__ = ["authorize", "code_to_session", "oauth_access_token"]


# https://developers.weixin.qq.com/miniprogram/dev/server/API/user-login/api_code2session
def code_to_session(fake: FakeWeChat, query: Mapping[str, str]) -> Answer:
    appid = query.get("appid")
    refused = fake.check_app(
        appid, query.get("secret"), grant_type=query.get("grant_type"), expected="authorization_code"
    )
    if refused is not None:
        return Answer(refused, "text/plain")
    code = query.get("js_code")
    if not code:
        return Answer(fake.error(41008), "text/plain")
    login = fake.state.login_codes.get(code)
    if login is None or login.appid not in (None, appid) or fake.expired(login.issued_at):
        return Answer(fake.error(40029), "text/plain")
    if login.used:
        return Answer(fake.error(40163), "text/plain")
    if login.blocked:
        return Answer(fake.error(40226), "text/plain")
    login.used = True
    body: dict[str, Any] = {"session_key": login.session_key, "openid": login.openid}
    if login.unionid is not None:
        body["unionid"] = login.unionid
    return Answer(body, "text/plain")


# https://developers.weixin.qq.com/doc/service/api/webdev/access/api_snsaccesstoken
def oauth_access_token(fake: FakeWeChat, query: Mapping[str, str]) -> Answer:
    appid = query.get("appid")
    refused = fake.check_app(
        appid, query.get("secret"), grant_type=query.get("grant_type"), expected="authorization_code"
    )
    if refused is not None:
        return Answer(refused)
    code = query.get("code")
    if not code:
        return Answer(fake.error(41008))
    grant = fake.state.oauth_codes.get(code)
    if grant is None or grant.appid not in (None, appid) or fake.expired(grant.issued_at):
        return Answer(fake.error(40029))
    if grant.used:
        return Answer(fake.error(40163))
    grant.used = True
    body: dict[str, Any] = {
        "access_token": "fake-web-" + secrets.token_urlsafe(32),
        "expires_in": TOKEN_LIFETIME,
        "refresh_token": "fake-refresh-" + secrets.token_urlsafe(32),
        "openid": grant.openid,
        "scope": grant.scope,
    }
    if grant.snapshot:
        body["is_snapshotuser"] = 1
    # "只有当scope为snsapi_userinfo时返回"
    if grant.unionid is not None and grant.scope == "snsapi_userinfo":
        body["unionid"] = grant.unionid
    return Answer(body)


# https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html (step 1: the person
# agrees and WeChat redirects back with the code)
def authorize(fake: FakeWeChat, query: Mapping[str, str]) -> Response:
    appid = query.get("appid", "")
    redirect_uri = query.get("redirect_uri", "")
    if appid not in fake.apps or not redirect_uri or query.get("response_type") != "code":
        return PlainTextResponse("请求参数错误", status_code=400)
    scope = query.get("scope", "snsapi_base")
    # A stable person per app unless the test names one, so a browser that logs in twice is the same resident.
    openid = query.get("fake_openid") or "o" + hashlib.sha256(f"{appid}:resident".encode()).hexdigest()[:27]
    code = fake.register_oauth_code(
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
