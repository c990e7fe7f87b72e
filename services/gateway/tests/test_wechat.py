from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fakeredis import FakeServer
from fakeredis.aioredis import FakeRedis
from redis.asyncio import Redis

from lianfang.common.errors import AppError
from lianfang.gateway.wechat import (
    RetryPolicy,
    WeChatClient,
    WeChatCodeInvalid,
    WeChatError,
    WeChatPageInvalid,
    WeChatPhoneCodeInvalid,
    WeChatRateLimited,
    WeChatSnapshotUser,
    WeChatUnavailable,
    WeChatUserBlocked,
)
from lianfang.gateway.wechat.testing import FakeEndpoint, FakeWeChat, create_fake_wechat_app
from lianfang.gateway.wechat.testing.png import png_size

APPID = "wx1111111111miniapp"
SECRET = "mini-program-app-secret-0123456789"
OA_APPID = "wx2222222222officia"
OA_SECRET = "official-account-secret-9876543210"
API_BASE = "https://api.weixin.qq.com"
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0, max_delay=0, retry_after=7)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeChat:
    return FakeWeChat({APPID: SECRET, OA_APPID: OA_SECRET}, clock=clock)


@pytest.fixture
async def http(fake: FakeWeChat) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_fake_wechat_app(fake))
    async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as client:
        yield client


@pytest.fixture
async def cache() -> AsyncIterator[Redis]:
    redis = FakeRedis(server=FakeServer())
    yield redis
    await redis.aclose()


def make_client(http: httpx.AsyncClient, cache: Redis, clock: FakeClock, **overrides: Any) -> WeChatClient:
    options: dict[str, Any] = {
        "appid": APPID,
        "secret": SECRET,
        "oauth_appid": OA_APPID,
        "oauth_secret": OA_SECRET,
        "retry": FAST_RETRY,
        "clock": clock,
    } | overrides
    return WeChatClient(http, cache, **options)


@pytest.fixture
def wechat(http: httpx.AsyncClient, cache: Redis, clock: FakeClock) -> WeChatClient:
    return make_client(http, cache, clock)


def problem(error: AppError) -> dict[str, Any]:
    return error.to_problem().model_dump(exclude_none=True)


CODE_INVALID = {
    "type": "about:blank",
    "title": "登录凭证无效或已使用，请重新进入",
    "status": 401,
    "code": "wechat_code_invalid",
}


class TestCodeToSession:
    async def test_returns_the_person_behind_a_login_code(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-1", unionid="u-resident-1", session_key="c2Vzc2lvbi1rZXktMTIzNA==")

        session = await wechat.code_to_session(code)

        assert (session.openid, session.unionid) == ("o-resident-1", "u-resident-1")
        assert session.session_key.get_secret_value() == "c2Vzc2lvbi1rZXktMTIzNA=="
        assert "c2Vzc2lvbi1rZXktMTIzNA==" not in repr(session)
        assert fake.calls(FakeEndpoint.code_to_session) == 1

    async def test_unionid_is_absent_for_an_app_outside_an_open_platform_account(
        self, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        session = await wechat.code_to_session(fake.register_login_code("o-resident-2"))

        assert session.unionid is None

    async def test_an_unknown_code_is_refused(self, wechat: WeChatClient) -> None:
        with pytest.raises(WeChatCodeInvalid) as caught:
            await wechat.code_to_session("not-a-code-wechat-issued")

        assert problem(caught.value) == CODE_INVALID
        assert caught.value.headers["WWW-Authenticate"] == "Bearer"

    async def test_a_code_works_once(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-3")
        await wechat.code_to_session(code)

        with pytest.raises(WeChatCodeInvalid):
            await wechat.code_to_session(code)

    async def test_a_code_older_than_five_minutes_is_refused(
        self, wechat: WeChatClient, fake: FakeWeChat, clock: FakeClock
    ) -> None:
        code = fake.register_login_code("o-resident-4")
        clock.advance(301)

        with pytest.raises(WeChatCodeInvalid):
            await wechat.code_to_session(code)

    async def test_a_code_of_another_app_is_refused(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-5", appid=OA_APPID)

        with pytest.raises(WeChatCodeInvalid):
            await wechat.code_to_session(code)

    async def test_scripted_invalid_code_is_refused(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-6")
        fake.fail_next(FakeEndpoint.code_to_session, 40029)

        with pytest.raises(WeChatCodeInvalid):
            await wechat.code_to_session(code)

    async def test_a_high_risk_account_is_forbidden(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-risky", blocked=True)

        with pytest.raises(WeChatUserBlocked) as caught:
            await wechat.code_to_session(code)

        assert problem(caught.value) == {
            "type": "about:blank",
            "title": "微信判定当前账号存在安全风险，暂时无法登录",
            "status": 403,
            "code": "wechat_user_blocked",
        }

    async def test_the_frequency_limit_asks_to_retry_in_a_minute(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-7")
        fake.fail_next(FakeEndpoint.code_to_session, 45011)

        with pytest.raises(WeChatRateLimited) as caught:
            await wechat.code_to_session(code)

        assert problem(caught.value) == {
            "type": "about:blank",
            "title": "微信接口调用过于频繁，请稍后再试",
            "status": 429,
            "code": "wechat_rate_limited",
        }
        assert caught.value.headers["Retry-After"] == "60"
        assert fake.calls(FakeEndpoint.code_to_session) == 1

    async def test_system_busy_is_retried_until_it_passes(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-8")
        fake.fail_next(FakeEndpoint.code_to_session, -1, times=2)

        session = await wechat.code_to_session(code)

        assert session.openid == "o-resident-8"
        assert fake.calls(FakeEndpoint.code_to_session) == 3

    async def test_system_busy_on_every_attempt_is_unavailable(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-9")
        fake.fail_next(FakeEndpoint.code_to_session, -1, times=3)

        with pytest.raises(WeChatUnavailable) as caught:
            await wechat.code_to_session(code)

        assert problem(caught.value) == {
            "type": "about:blank",
            "title": "微信服务暂不可用，请稍后重试",
            "status": 503,
            "code": "wechat_unavailable",
        }
        assert caught.value.headers["Retry-After"] == "7"
        assert fake.calls(FakeEndpoint.code_to_session) == 3

    async def test_a_wrong_app_secret_is_a_bad_gateway_that_names_no_secret(
        self, http: httpx.AsyncClient, cache: Redis, clock: FakeClock, fake: FakeWeChat
    ) -> None:
        wechat = make_client(http, cache, clock, secret="a-secret-someone-mistyped")

        with pytest.raises(WeChatError) as caught:
            await wechat.code_to_session(fake.register_login_code("o-resident-10"))

        assert problem(caught.value) == {
            "type": "about:blank",
            "title": "微信接口调用失败，请稍后重试或联系管理员",
            "status": 502,
            "detail": "微信接口返回错误码 40125",
            "code": "wechat_error",
        }
        assert "a-secret-someone-mistyped" not in str(caught.value)

    async def test_an_unknown_appid_is_a_bad_gateway(
        self, http: httpx.AsyncClient, cache: Redis, clock: FakeClock, fake: FakeWeChat
    ) -> None:
        wechat = make_client(http, cache, clock, appid="wx9999999999unknown")

        with pytest.raises(WeChatError) as caught:
            await wechat.code_to_session(fake.register_login_code("o-resident-11"))

        assert caught.value.errcode == 40013

    async def test_an_answer_that_is_not_json_is_unavailable(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-12")
        fake.break_next(FakeEndpoint.code_to_session, status_code=200, body="<html>维护中</html>")

        with pytest.raises(WeChatUnavailable):
            await wechat.code_to_session(code)

    async def test_a_proxy_error_page_is_unavailable(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-resident-13")
        fake.break_next(FakeEndpoint.code_to_session)

        with pytest.raises(WeChatUnavailable) as caught:
            await wechat.code_to_session(code)

        assert caught.value.status == 503

    async def test_neither_the_secret_nor_the_session_key_reaches_the_log(
        self, wechat: WeChatClient, fake: FakeWeChat, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="httpx")
        code = fake.register_login_code("o-resident-14", session_key="dG9wLXNlY3JldC1zZXNzaW9u")
        fake.fail_next(FakeEndpoint.code_to_session, -1)

        await wechat.code_to_session(code)
        with pytest.raises(WeChatCodeInvalid):
            await wechat.code_to_session(code)

        assert "jscode2session" in caplog.text
        assert "secret=***" in caplog.text
        assert SECRET not in caplog.text
        assert "dG9wLXNlY3JldC1zZXNzaW9u" not in caplog.text
        assert code not in caplog.text


class TestOAuthAccessToken:
    async def test_returns_the_person_behind_an_oauth_code(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-1", appid=OA_APPID)

        token = await wechat.oauth_access_token(code)

        assert (token.openid, token.scope, token.unionid, token.expires_in) == ("o-h5-1", "snsapi_base", None, 7200)
        assert token.is_snapshotuser is False
        assert token.access_token.get_secret_value()
        assert token.refresh_token.get_secret_value()

    async def test_userinfo_scope_brings_the_unionid(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-2", unionid="u-h5-2", scope="snsapi_userinfo")

        token = await wechat.oauth_access_token(code)

        assert token.unionid == "u-h5-2"

    async def test_uses_the_official_account_not_the_mini_program(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-3", appid=APPID)

        with pytest.raises(WeChatCodeInvalid):
            await wechat.oauth_access_token(code)

    async def test_defaults_to_the_mini_program_app(
        self, http: httpx.AsyncClient, cache: Redis, clock: FakeClock, fake: FakeWeChat
    ) -> None:
        wechat = make_client(http, cache, clock, oauth_appid=None, oauth_secret=None)

        token = await wechat.oauth_access_token(fake.register_oauth_code("o-h5-4", appid=APPID))

        assert token.openid == "o-h5-4"

    async def test_a_snapshot_page_visitor_is_told_to_open_the_full_page(
        self, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        code = fake.register_oauth_code("o-virtual", snapshot=True, scope="snsapi_userinfo")

        with pytest.raises(WeChatSnapshotUser) as caught:
            await wechat.oauth_access_token(code)

        assert problem(caught.value) == {
            "type": "about:blank",
            "title": "当前为微信快照页，请点击页面底部的“使用完整服务”后重新进入",
            "status": 403,
            "code": "wechat_snapshot_user",
        }

    async def test_an_unknown_code_is_refused(self, wechat: WeChatClient) -> None:
        with pytest.raises(WeChatCodeInvalid) as caught:
            await wechat.oauth_access_token("never-issued")

        assert problem(caught.value) == CODE_INVALID

    async def test_a_used_code_is_refused(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-5")
        await wechat.oauth_access_token(code)
        fake.fail_next(FakeEndpoint.oauth_access_token, 40163)

        with pytest.raises(WeChatCodeInvalid):
            await wechat.oauth_access_token(code)

    async def test_reusing_a_code_is_refused_as_used(self, http: httpx.AsyncClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-6")
        params = {"appid": OA_APPID, "secret": OA_SECRET, "code": code, "grant_type": "authorization_code"}
        await http.get("/sns/oauth2/access_token", params=params)

        again = (await http.get("/sns/oauth2/access_token", params=params)).json()

        assert again["errcode"] == 40163
        assert again["errmsg"].startswith("code been used, rid: ")

    async def test_the_frequency_limit_is_too_many_requests(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-7")
        fake.fail_next(FakeEndpoint.oauth_access_token, 45011)

        with pytest.raises(WeChatRateLimited) as caught:
            await wechat.oauth_access_token(code)

        assert caught.value.headers["Retry-After"] == "60"

    async def test_system_busy_is_retried(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-8")
        fake.fail_next(FakeEndpoint.oauth_access_token, -1)

        token = await wechat.oauth_access_token(code)

        assert token.openid == "o-h5-8"
        assert fake.calls(FakeEndpoint.oauth_access_token) == 2

    async def test_system_busy_throughout_is_unavailable(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_oauth_code("o-h5-9")
        fake.fail_next(FakeEndpoint.oauth_access_token, -1, times=5)

        with pytest.raises(WeChatUnavailable):
            await wechat.oauth_access_token(code)

        assert fake.calls(FakeEndpoint.oauth_access_token) == 3


class TestStableAccessToken:
    async def test_is_fetched_once_and_then_served_from_the_cache(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        first = await wechat.stable_access_token()
        second = await wechat.stable_access_token()

        assert first == second
        assert fake.calls(FakeEndpoint.stable_token) == 1

    async def test_another_gateway_instance_reuses_the_cached_token(
        self, wechat: WeChatClient, http: httpx.AsyncClient, cache: Redis, clock: FakeClock, fake: FakeWeChat
    ) -> None:
        token = await wechat.stable_access_token()

        other = make_client(http, cache, clock)

        assert await other.stable_access_token() == token
        assert fake.calls(FakeEndpoint.stable_token) == 1

    async def test_each_app_has_its_own_cached_token(
        self, wechat: WeChatClient, http: httpx.AsyncClient, cache: Redis, clock: FakeClock, fake: FakeWeChat
    ) -> None:
        mini_program = await wechat.stable_access_token()
        official_account = make_client(http, cache, clock, appid=OA_APPID, secret=OA_SECRET)

        assert await official_account.stable_access_token() != mini_program
        assert fake.calls(FakeEndpoint.stable_token) == 2

    async def test_is_renewed_before_it_expires(self, wechat: WeChatClient, fake: FakeWeChat, clock: FakeClock) -> None:
        first = await wechat.stable_access_token()
        clock.advance(7200 - 300 - 1)
        assert await wechat.stable_access_token() == first

        clock.advance(2)
        renewed = await wechat.stable_access_token()

        assert renewed != first
        assert fake.calls(FakeEndpoint.stable_token) == 2

    async def test_an_expired_token_is_replaced(self, wechat: WeChatClient, fake: FakeWeChat, clock: FakeClock) -> None:
        first = await wechat.stable_access_token()
        clock.advance(7200 + 10)

        assert await wechat.stable_access_token() != first
        assert fake.calls(FakeEndpoint.stable_token) == 2

    async def test_force_refresh_fetches_a_new_token_and_wechat_drops_the_old_one(
        self, wechat: WeChatClient, fake: FakeWeChat, http: httpx.AsyncClient
    ) -> None:
        old = await wechat.stable_access_token()

        new = await wechat.stable_access_token(force_refresh=True)

        assert new != old
        assert await wechat.stable_access_token() == new
        assert fake.calls(FakeEndpoint.stable_token) == 2
        answer = await http.post("/wxa/business/getuserphonenumber", params={"access_token": old}, json={"code": "x"})
        assert answer.json()["errcode"] == 40001

    async def test_concurrent_callers_share_one_fetch(
        self, wechat: WeChatClient, http: httpx.AsyncClient, cache: Redis, clock: FakeClock, fake: FakeWeChat
    ) -> None:
        other_instance = make_client(http, cache, clock)

        tokens = await asyncio.gather(
            *(wechat.stable_access_token() for _ in range(10)),
            *(other_instance.stable_access_token() for _ in range(10)),
        )

        assert len(set(tokens)) == 1
        assert fake.calls(FakeEndpoint.stable_token) == 1

    async def test_a_wrong_secret_is_a_bad_gateway(
        self, http: httpx.AsyncClient, cache: Redis, clock: FakeClock
    ) -> None:
        wechat = make_client(http, cache, clock, secret="not-the-app-secret")

        with pytest.raises(WeChatError) as caught:
            await wechat.stable_access_token()

        assert caught.value.errcode == 40125
        assert "not-the-app-secret" not in str(problem(caught.value))

    async def test_system_busy_is_retried(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.fail_next(FakeEndpoint.stable_token, -1, times=2)

        assert await wechat.stable_access_token()
        assert fake.calls(FakeEndpoint.stable_token) == 3


class TestUserPhoneNumber:
    async def test_returns_the_number_the_person_agreed_to_share(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_phone_code("13800138000")

        phone = await wechat.user_phone_number(code)

        assert (phone.phone_number, phone.pure_phone_number, phone.country_code) == ("13800138000", "13800138000", "86")
        assert phone.watermark.appid == APPID

    async def test_a_second_number_reuses_the_access_token(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        await wechat.user_phone_number(fake.register_phone_code("13800138001"))
        await wechat.user_phone_number(fake.register_phone_code("13800138002"))

        assert fake.calls(FakeEndpoint.stable_token) == 1
        assert fake.calls(FakeEndpoint.phone_number) == 2

    async def test_an_expired_cached_token_is_replaced_first(
        self, wechat: WeChatClient, fake: FakeWeChat, clock: FakeClock
    ) -> None:
        await wechat.user_phone_number(fake.register_phone_code("13800138003"))
        clock.advance(7200)

        await wechat.user_phone_number(fake.register_phone_code("13800138004"))

        assert fake.calls(FakeEndpoint.stable_token) == 2
        assert fake.calls(FakeEndpoint.phone_number) == 2

    async def test_a_token_wechat_no_longer_accepts_is_force_refreshed_and_the_call_retried(
        self, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        await wechat.stable_access_token()
        fake.revoke_access_tokens()

        phone = await wechat.user_phone_number(fake.register_phone_code("13800138005"))

        assert phone.pure_phone_number == "13800138005"
        assert fake.calls(FakeEndpoint.stable_token) == 2
        assert fake.calls(FakeEndpoint.phone_number) == 2

    async def test_an_expired_token_answer_is_refreshed_and_retried(
        self, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        first = await wechat.stable_access_token()
        fake.fail_next(FakeEndpoint.phone_number, 42001)

        await wechat.user_phone_number(fake.register_phone_code("13800138006"))

        assert await wechat.stable_access_token() != first
        assert fake.calls(FakeEndpoint.phone_number) == 2

    async def test_instances_that_see_the_same_rejected_token_refresh_it_once(
        self, wechat: WeChatClient, http: httpx.AsyncClient, cache: Redis, clock: FakeClock, fake: FakeWeChat
    ) -> None:
        other_instance = make_client(http, cache, clock)
        await wechat.stable_access_token()
        fake.revoke_access_tokens()

        phones = await asyncio.gather(
            wechat.user_phone_number(fake.register_phone_code("13800138007")),
            other_instance.user_phone_number(fake.register_phone_code("13800138008")),
        )

        assert sorted(phone.pure_phone_number for phone in phones) == ["13800138007", "13800138008"]
        assert fake.calls(FakeEndpoint.stable_token) == 2

    async def test_a_token_rejected_twice_is_a_bad_gateway(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.fail_next(FakeEndpoint.phone_number, 40001, times=2)

        with pytest.raises(WeChatError) as caught:
            await wechat.user_phone_number(fake.register_phone_code("13800138009"))

        assert caught.value.errcode == 40001
        assert fake.calls(FakeEndpoint.phone_number) == 2

    async def test_an_invalid_phone_code_asks_to_authorise_again(self, wechat: WeChatClient) -> None:
        with pytest.raises(WeChatPhoneCodeInvalid) as caught:
            await wechat.user_phone_number("never-issued")

        assert problem(caught.value) == {
            "type": "about:blank",
            "title": "手机号授权凭证无效或已使用，请重新授权",
            "status": 400,
            "code": "wechat_phone_code_invalid",
        }

    async def test_a_phone_code_works_once(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        code = fake.register_phone_code("13800138010")
        await wechat.user_phone_number(code)

        with pytest.raises(WeChatPhoneCodeInvalid):
            await wechat.user_phone_number(code)

    async def test_system_busy_is_retried(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.fail_next(FakeEndpoint.phone_number, -1, times=2)

        phone = await wechat.user_phone_number(fake.register_phone_code("13800138011"))

        assert phone.pure_phone_number == "13800138011"
        assert fake.calls(FakeEndpoint.phone_number) == 3

    async def test_system_busy_throughout_is_unavailable(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.fail_next(FakeEndpoint.phone_number, -1, times=3)

        with pytest.raises(WeChatUnavailable):
            await wechat.user_phone_number(fake.register_phone_code("13800138012"))

    async def test_the_frequency_limit_is_too_many_requests(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.fail_next(FakeEndpoint.phone_number, 45011)

        with pytest.raises(WeChatRateLimited):
            await wechat.user_phone_number(fake.register_phone_code("13800138013"))

    async def test_a_number_from_abroad_keeps_its_country_code(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        phone = await wechat.user_phone_number(fake.register_phone_code("91234567", country_code="852"))

        assert (phone.phone_number, phone.pure_phone_number, phone.country_code) == ("+85291234567", "91234567", "852")

    async def test_a_numeric_country_code_as_in_the_documentation_example_is_read(self, cache: Redis) -> None:
        def documented_answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/cgi-bin/stable_token":
                return httpx.Response(200, json={"access_token": "ACCESS_TOKEN", "expires_in": 7200})
            phone_info = {
                "phoneNumber": "xxxxxx",
                "purePhoneNumber": "xxxxxx",
                "countryCode": 86,
                "watermark": {"timestamp": 1637744274, "appid": "xxxx"},
            }
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "phone_info": phone_info})

        async with httpx.AsyncClient(transport=httpx.MockTransport(documented_answer), base_url=API_BASE) as http:
            phone = await WeChatClient(http, cache, appid=APPID, secret=SECRET).user_phone_number("code")

        assert phone.country_code == "86"


class TestUnreachable:
    async def test_a_closed_port_is_unavailable(self, cache: Redis) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            wechat = WeChatClient(http, cache, appid=APPID, secret=SECRET, retry=FAST_RETRY)
            with pytest.raises(WeChatUnavailable) as caught:
                await wechat.code_to_session("any-code")

        assert caught.value.headers["Retry-After"] == "7"

    async def test_connection_failures_are_retried(self, cache: Redis) -> None:
        attempts: list[str] = []

        def refuse(request: httpx.Request) -> httpx.Response:
            attempts.append(request.url.path)
            raise httpx.ConnectError("connection refused", request=request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url=API_BASE) as http:
            wechat = WeChatClient(http, cache, appid=APPID, secret=SECRET, retry=FAST_RETRY)
            with pytest.raises(WeChatUnavailable):
                await wechat.user_phone_number("any-code")

        assert attempts == ["/cgi-bin/stable_token"] * 3

    async def test_a_timeout_after_sending_is_not_retried(self, cache: Redis) -> None:
        attempts: list[str] = []

        def time_out(request: httpx.Request) -> httpx.Response:
            attempts.append(request.url.path)
            raise httpx.ReadTimeout("timed out", request=request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(time_out), base_url=API_BASE) as http:
            wechat = WeChatClient(http, cache, appid=APPID, secret=SECRET, retry=FAST_RETRY)
            with pytest.raises(WeChatUnavailable):
                await wechat.oauth_access_token("any-code")

        assert attempts == ["/sns/oauth2/access_token"]

    async def test_a_base_url_with_a_path_prefix_is_kept(self, cache: Redis) -> None:
        seen: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request.url.path)
            return httpx.Response(200, text='{"openid": "o-1", "session_key": "a2V5"}')

        transport = httpx.MockTransport(answer)
        async with httpx.AsyncClient(transport=transport, base_url="http://wechat.internal/wechat-api") as http:
            await WeChatClient(http, cache, appid=APPID, secret=SECRET).code_to_session("code")

        assert seen == ["/wechat-api/sns/jscode2session"]


class TestFakeServer:
    async def test_an_unknown_appid_is_40013(self, http: httpx.AsyncClient) -> None:
        params = {"appid": "wx-nobody", "secret": "s", "js_code": "c", "grant_type": "authorization_code"}

        answer = await http.get("/sns/jscode2session", params=params)

        assert answer.status_code == 200
        assert answer.json()["errcode"] == 40013
        assert answer.json()["errmsg"].startswith("invalid appid, rid: ")

    async def test_a_wrong_secret_for_the_stable_token_is_40125(self, http: httpx.AsyncClient) -> None:
        body = {"grant_type": "client_credential", "appid": APPID, "secret": "wrong", "force_refresh": False}

        answer = (await http.post("/cgi-bin/stable_token", json=body)).json()

        assert answer["errcode"] == 40125
        assert answer["errmsg"].startswith("invalid appsecret")

    async def test_the_stable_token_only_answers_post(self, http: httpx.AsyncClient) -> None:
        assert (await http.get("/cgi-bin/stable_token")).json()["errcode"] == 43002

    async def test_normal_mode_returns_the_same_token_with_less_time_left(
        self, http: httpx.AsyncClient, clock: FakeClock
    ) -> None:
        body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        first = (await http.post("/cgi-bin/stable_token", json=body)).json()
        clock.advance(100)

        second = (await http.post("/cgi-bin/stable_token", json=body)).json()

        assert first == {"access_token": first["access_token"], "expires_in": 7200}
        assert second == {"access_token": first["access_token"], "expires_in": 7100}

    async def test_a_phone_call_needs_a_token_the_fake_issued(self, http: httpx.AsyncClient) -> None:
        path = "/wxa/business/getuserphonenumber"
        missing = (await http.post(path, json={"code": "c"})).json()
        foreign = (await http.post(path, params={"access_token": "made-up"}, json={"code": "c"})).json()

        assert missing["errcode"] == 41001
        assert foreign["errcode"] == 40001
        assert foreign["errmsg"].startswith("invalid credential, access_token is invalid or not latest")

    async def test_the_phone_answer_has_the_documented_shape(
        self, http: httpx.AsyncClient, fake: FakeWeChat, clock: FakeClock
    ) -> None:
        body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        token = (await http.post("/cgi-bin/stable_token", json=body)).json()["access_token"]
        code = fake.register_phone_code("13900139000")

        answer = await http.post(
            "/wxa/business/getuserphonenumber", params={"access_token": token}, json={"code": code}
        )

        assert answer.json() == {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": "13900139000",
                "purePhoneNumber": "13900139000",
                "countryCode": "86",
                "watermark": {"timestamp": int(clock.now), "appid": APPID},
            },
        }

    async def test_is_controlled_over_http(self, http: httpx.AsyncClient, wechat: WeChatClient) -> None:
        created = await http.post("/_fake/login-codes", json={"openid": "o-e2e", "unionid": "u-e2e"})
        code = created.json()["code"]
        await http.post("/_fake/failures", json={"endpoint": "jscode2session", "errcode": -1})

        session = await wechat.code_to_session(code)
        calls = (await http.get("/_fake/calls")).json()

        assert created.status_code == 201
        assert (session.openid, session.unionid) == ("o-e2e", "u-e2e")
        assert calls == {
            "jscode2session": 2,
            "oauth2_access_token": 0,
            "stable_token": 0,
            "getuserphonenumber": 0,
            "getwxacodeunlimit": 0,
            "subscribe_send": 0,
        }

    async def test_reset_forgets_codes_and_calls(self, http: httpx.AsyncClient, fake: FakeWeChat) -> None:
        code = fake.register_login_code("o-gone")
        await http.get("/sns/jscode2session")

        assert (await http.post("/_fake/reset")).status_code == 204

        assert fake.calls(FakeEndpoint.code_to_session) == 0
        params = {"appid": APPID, "secret": SECRET, "js_code": code, "grant_type": "authorization_code"}
        assert (await http.get("/sns/jscode2session", params=params)).json()["errcode"] == 40029

    async def test_the_authorize_page_redirects_back_with_a_code(
        self, http: httpx.AsyncClient, wechat: WeChatClient
    ) -> None:
        query = {
            "appid": OA_APPID,
            "redirect_uri": "https://lianfang.example/c/login?checkpoint=CP1",
            "response_type": "code",
            "scope": "snsapi_base",
            "state": "s-42",
            "fake_openid": "o-browser",
        }

        answer = await http.get("/connect/oauth2/authorize", params=query)

        assert answer.status_code == 302
        location = urlsplit(answer.headers["location"])
        back = parse_qs(location.query)
        assert (location.netloc, location.path, back["checkpoint"], back["state"]) == (
            "lianfang.example",
            "/c/login",
            ["CP1"],
            ["s-42"],
        )
        assert (await wechat.oauth_access_token(back["code"][0])).openid == "o-browser"

    def test_reads_its_apps_from_the_environment(self) -> None:
        assert FakeWeChat.from_environ({"LIANFANG_WECHAT_APPID": "wxa", "LIANFANG_WECHAT_SECRET": "sa"}).apps == {
            "wxa": "sa"
        }
        with_h5 = {"LIANFANG_WECHAT_APPID": "wxa", "LIANFANG_WECHAT_SECRET": "sa", "LIANFANG_WECHAT_H5_APPID": "wxh"}
        assert FakeWeChat.from_environ(with_h5 | {"LIANFANG_WECHAT_H5_SECRET": "sh"}).apps == {"wxa": "sa", "wxh": "sh"}
        several = FakeWeChat.from_environ({"LIANFANG_FAKE_WECHAT_APPS": "wxa:sa, wxb:sb"})
        assert several.apps == {"wxa": "sa", "wxb": "sb"}


class TestWxacodeUnlimited:
    async def test_is_a_transparent_png_of_the_asked_width(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        image = await wechat.wxacode_unlimited("K7M3QF9X", page="pages/checkin/index", width=600)

        assert png_size(image) == (600, 600)
        assert image[25] == 6  # colour type RGBA: the background is transparent
        assert fake.calls(FakeEndpoint.wxacode_unlimited) == 1

    async def test_each_scene_is_its_own_code(self, wechat: WeChatClient) -> None:
        first = await wechat.wxacode_unlimited("K7M3QF9X", page="pages/checkin/index")
        second = await wechat.wxacode_unlimited("ZZZZ2222", page="pages/checkin/index")

        assert first != second

    async def test_a_page_the_released_mini_program_lacks_names_it(self, wechat: WeChatClient) -> None:
        with pytest.raises(WeChatPageInvalid) as caught:
            await wechat.wxacode_unlimited("K7M3QF9X", page="pages/unreleased/index")

        assert problem(caught.value) == {
            "type": "about:blank",
            "title": "小程序尚未发布该页面，无法生成小程序码",
            "status": 502,
            "detail": "微信找不到已发布的小程序页面 pages/unreleased/index：请先发布小程序",
            "code": "wechat_page_invalid",
        }

    async def test_an_unreleased_page_passes_when_the_check_is_off(self, wechat: WeChatClient) -> None:
        image = await wechat.wxacode_unlimited(
            "K7M3QF9X", page="pages/unreleased/index", check_path=False, env_version="develop"
        )

        assert png_size(image) == (430, 430)

    async def test_the_minute_limit_asks_to_retry_in_a_minute(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.fail_next(FakeEndpoint.wxacode_unlimited, 45009)

        with pytest.raises(WeChatRateLimited) as caught:
            await wechat.wxacode_unlimited("K7M3QF9X", page="pages/checkin/index")

        assert caught.value.headers["Retry-After"] == "60"

    async def test_a_token_wechat_no_longer_accepts_is_refreshed_and_the_call_retried(
        self, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        await wechat.stable_access_token()
        fake.revoke_access_tokens()

        image = await wechat.wxacode_unlimited("K7M3QF9X", page="pages/checkin/index")

        assert png_size(image) == (430, 430)
        assert fake.calls(FakeEndpoint.stable_token) == 2
        assert fake.calls(FakeEndpoint.wxacode_unlimited) == 2

    async def test_system_busy_is_retried(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.fail_next(FakeEndpoint.wxacode_unlimited, -1, times=2)

        await wechat.wxacode_unlimited("K7M3QF9X", page="pages/checkin/index")

        assert fake.calls(FakeEndpoint.wxacode_unlimited) == 3

    async def test_a_proxy_error_page_is_unavailable(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.break_next(FakeEndpoint.wxacode_unlimited)

        with pytest.raises(WeChatUnavailable):
            await wechat.wxacode_unlimited("K7M3QF9X", page="pages/checkin/index")


class TestFakeWxacode:
    """The fake answers as WeChat's documentation says, errors included."""

    async def call(self, http: httpx.AsyncClient, token: str | None, body: object) -> httpx.Response:
        params = {"access_token": token} if token is not None else {}
        return await http.post("/wxa/getwxacodeunlimit", params=params, json=body)

    async def token(self, wechat: WeChatClient) -> str:
        return await wechat.stable_access_token()

    @pytest.mark.parametrize(
        ("body", "errcode"),
        [
            ({"scene": "x" * 33, "page": "pages/checkin/index"}, 40169),
            ({"page": "pages/checkin/index"}, 40169),
            ({"scene": "中文", "page": "pages/checkin/index"}, 40129),
            ({"scene": "a%20b", "page": "pages/checkin/index"}, 40129),
            ({"scene": "K7M3QF9X", "page": "/pages/checkin/index"}, 41030),
            ({"scene": "K7M3QF9X", "page": "pages/checkin/index?code=1"}, 41030),
            ({"scene": "K7M3QF9X", "page": "pages/checkin/index", "env_version": "beta"}, 40097),
            ({"scene": "K7M3QF9X", "page": "pages/checkin/index", "width": "430"}, 40097),
        ],
    )
    async def test_refuses_what_wechat_refuses(
        self, http: httpx.AsyncClient, wechat: WeChatClient, body: object, errcode: int
    ) -> None:
        response = await self.call(http, await self.token(wechat), body)

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["errcode"] == errcode

    async def test_a_missing_or_unknown_token_is_refused(self, http: httpx.AsyncClient) -> None:
        body = {"scene": "K7M3QF9X", "page": "pages/checkin/index"}

        assert (await self.call(http, None, body)).json()["errcode"] == 41001
        assert (await self.call(http, "never-issued", body)).json()["errcode"] == 40001

    async def test_a_body_that_is_not_json_is_a_data_format_error(
        self, http: httpx.AsyncClient, wechat: WeChatClient
    ) -> None:
        response = await http.post(
            "/wxa/getwxacodeunlimit", params={"access_token": await self.token(wechat)}, content=b"scene=K7M3QF9X"
        )

        assert response.json()["errcode"] == 47001

    async def test_the_width_is_kept_within_wechats_bounds(self, http: httpx.AsyncClient, wechat: WeChatClient) -> None:
        token = await self.token(wechat)
        small = await self.call(http, token, {"scene": "K7M3QF9X", "page": "pages/checkin/index", "width": 100})
        large = await self.call(http, token, {"scene": "K7M3QF9X", "page": "pages/checkin/index", "width": 5000})

        assert small.headers["content-type"] == "image/png"
        assert png_size(small.content) == (280, 280)
        assert png_size(large.content) == (1280, 1280)


class TestSubscribeMessage:
    DATA: ClassVar[dict[str, str]] = {
        "thing1": "育才小区东门",
        "phrase2": "准许通行",
        "time3": "2026-12-06 10:05",
        "thing4": "无",
    }

    async def test_a_subscribed_person_gets_one_message_per_acceptance(
        self, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        fake.subscribe("o-resident", "tmpl-decision")

        first = await wechat.send_subscribe_message("o-resident", "tmpl-decision", self.DATA, page="pages/mine/index")
        second = await wechat.send_subscribe_message("o-resident", "tmpl-decision", self.DATA, page="pages/mine/index")

        assert (first, second) == (True, False)
        (sent,) = fake.sent_messages()
        assert (sent.touser, sent.template_id, sent.page, sent.data) == (
            "o-resident",
            "tmpl-decision",
            "pages/mine/index",
            self.DATA,
        )

    async def test_not_subscribed_is_no_fault(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        assert await wechat.send_subscribe_message("o-nobody", "tmpl-decision", self.DATA, page=None) is False
        assert fake.sent_messages() == []

    async def test_a_thing_over_twenty_characters_is_refused_as_wechat_does(
        self, http: httpx.AsyncClient, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        fake.subscribe("o-resident", "tmpl-decision")
        token = await wechat.stable_access_token()

        response = await http.post(
            "/cgi-bin/message/subscribe/send",
            params={"access_token": token},
            json={"touser": "o-resident", "template_id": "tmpl-decision", "data": {"thing1": {"value": "长" * 21}}},
        )

        assert response.json()["errcode"] == 47003
        assert response.json()["errmsg"].startswith("argument invalid! data.thing1.value invalid")

    async def test_bad_data_is_a_bad_gateway(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.subscribe("o-resident", "tmpl-decision")

        with pytest.raises(WeChatError) as caught:
            await wechat.send_subscribe_message("o-resident", "tmpl-decision", {"phrase2": "approved"}, page=None)

        assert caught.value.errcode == 47003

    async def test_an_unknown_template_is_refused(self, wechat: WeChatClient, fake: FakeWeChat) -> None:
        fake.templates = {"tmpl-decision"}

        with pytest.raises(WeChatError) as caught:
            await wechat.send_subscribe_message("o-resident", "tmpl-other", self.DATA, page=None)

        assert caught.value.errcode == 40037

    async def test_system_busy_is_retried_and_a_stale_token_renewed(
        self, wechat: WeChatClient, fake: FakeWeChat
    ) -> None:
        fake.subscribe("o-resident", "tmpl-decision")
        await wechat.stable_access_token()
        fake.revoke_access_tokens()
        fake.fail_next(FakeEndpoint.subscribe_send, -1)

        assert await wechat.send_subscribe_message("o-resident", "tmpl-decision", self.DATA, page=None) is True
