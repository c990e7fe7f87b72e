from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from lianfang.common.settings import WeChatMode
from lianfang.gateway.models import Resident
from lianfang.gateway.privacy.notice import VERSION as NOTICE_VERSION
from lianfang.gateway.wechat.testing import FakeEndpoint

from .conftest import APPID, Gateway, gateway_settings, start_gateway

pytestmark = pytest.mark.usefixtures("backend")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements sent to the store meanwhile (by any engine of this process)."""
    seen: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


class TestMiniProgramLogin:
    async def test_a_resident_logs_in_with_the_wx_login_code(self, gateway: Gateway) -> None:
        code = gateway.wechat.register_login_code("o-resident-1", unionid="u-1")

        response = await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})

        assert response.status_code == 200
        body = response.json()
        assert body["resident"]["phone_masked"] is None
        me = await gateway.client.get("/api/auth/me", headers=bearer(body["access_token"]))
        assert me.json() == {"id": body["resident"]["id"], "role": "resident", "phone_masked": None}
        async with gateway.database.sessionmaker() as session:
            resident = await session.scalar(select(Resident))
        assert resident is not None
        assert (resident.openid, resident.unionid) == ("o-resident-1", "u-1")

    async def test_the_same_openid_is_the_same_resident(self, gateway: Gateway) -> None:
        first = await gateway.client.post(
            "/api/auth/wechat/miniprogram", json={"code": gateway.wechat.register_login_code("o-same")}
        )
        second = await gateway.client.post(
            "/api/auth/wechat/miniprogram", json={"code": gateway.wechat.register_login_code("o-same")}
        )

        assert first.json()["resident"]["id"] == second.json()["resident"]["id"]

    async def test_first_logins_at_once_make_one_resident_and_keep_the_latest_unionid(self, gateway: Gateway) -> None:
        codes = [gateway.wechat.register_login_code("o-rush") for _ in range(5)]
        answers = await asyncio.gather(
            *(gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code}) for code in codes)
        )
        later = gateway.wechat.register_login_code("o-rush", unionid="u-rush")
        await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": later})
        # A login from an app outside the open platform comes without a unionid: the one known stays.
        without = gateway.wechat.register_login_code("o-rush")
        await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": without})

        assert {answer.status_code for answer in answers} == {200}
        assert len({answer.json()["resident"]["id"] for answer in answers}) == 1
        async with gateway.database.sessionmaker() as session:
            residents = (await session.scalars(select(Resident).where(Resident.openid == "o-rush"))).all()
        assert [resident.unionid for resident in residents] == ["u-rush"]

    async def test_a_login_costs_three_statements_and_a_commit(self, gateway: Gateway) -> None:
        """A first login is the morning rush's first step: every round trip to the store holds a pooled connection
        while the event loop serves everyone else. An upsert, a read and the refresh token, first time or not."""
        for attempt in ("first", "again"):
            with _statements() as statements:
                code = gateway.wechat.register_login_code("o-counted")
                response = await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})
            assert response.status_code == 200, attempt
            assert [statement.split()[0] for statement in statements] == ["INSERT", "SELECT", "INSERT"], attempt

    async def test_a_code_works_once(self, gateway: Gateway) -> None:
        code = gateway.wechat.register_login_code("o-once")
        await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})

        again = await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})

        assert again.status_code == 401
        assert again.json()["code"] == "wechat_code_invalid"

    async def test_a_high_risk_user_is_refused(self, gateway: Gateway) -> None:
        code = gateway.wechat.register_login_code("o-risky", blocked=True)

        response = await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})

        assert response.status_code == 403
        assert response.json()["code"] == "wechat_user_blocked"

    async def test_wechat_rate_limits_become_a_429_with_retry_after(self, gateway: Gateway) -> None:
        gateway.wechat.fail_next(FakeEndpoint.code_to_session, 45011)

        response = await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": "any"})

        assert response.status_code == 429
        assert response.headers["retry-after"] == "60"

    async def test_a_busy_wechat_is_retried_before_giving_up(self, gateway: Gateway) -> None:
        code = gateway.wechat.register_login_code("o-patient")
        gateway.wechat.fail_next(FakeEndpoint.code_to_session, -1)

        response = await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})

        assert response.status_code == 200
        assert gateway.wechat.calls(FakeEndpoint.code_to_session) == 2

    async def test_an_empty_code_is_named(self, gateway: Gateway) -> None:
        response = await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": ""})

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "code"


class TestH5Login:
    async def test_a_resident_logs_in_with_the_oauth_code(self, gateway: Gateway) -> None:
        code = gateway.wechat.register_oauth_code("o-h5")

        response = await gateway.client.post("/api/auth/wechat/h5", json={"code": code})

        assert response.status_code == 200
        assert response.json()["resident"]["id"]

    async def test_a_snapshot_page_user_is_told_to_open_the_full_page(self, gateway: Gateway) -> None:
        code = gateway.wechat.register_oauth_code("o-snapshot", snapshot=True)

        response = await gateway.client.post("/api/auth/wechat/h5", json={"code": code})

        assert response.status_code == 403
        assert response.json()["code"] == "wechat_snapshot_user"

    async def test_a_used_code_is_refused(self, gateway: Gateway) -> None:
        gateway.wechat.fail_next(FakeEndpoint.oauth_access_token, 40163)

        response = await gateway.client.post("/api/auth/wechat/h5", json={"code": "used"})

        assert response.status_code == 401


class TestPhoneBinding:
    async def resident_token(self, gateway: Gateway) -> str:
        code = gateway.wechat.register_login_code("o-phone")
        token: str = (await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})).json()[
            "access_token"
        ]
        return token

    async def test_the_phone_wechat_vouches_for_is_stored_encrypted_and_shown_masked(self, gateway: Gateway) -> None:
        token = await self.resident_token(gateway)
        code = gateway.wechat.register_phone_code("13812345678")

        response = await gateway.client.post("/api/auth/wechat/phone", json={"code": code}, headers=bearer(token))

        assert response.status_code == 200
        assert response.json() == {"phone": "13812345678", "phone_masked": "138****5678"}
        async with gateway.database.sessionmaker() as session:
            resident = await session.scalar(select(Resident))
        assert resident is not None
        assert resident.phone_encrypted is not None
        assert "13812345678" not in resident.phone_encrypted
        assert resident.phone_hash is not None
        me = await gateway.client.get("/api/auth/me", headers=bearer(token))
        assert me.json()["phone_masked"] == "138****5678"

    async def test_wechat_is_asked_once_per_resident(self, gateway: Gateway) -> None:
        token = await self.resident_token(gateway)
        first = gateway.wechat.register_phone_code("13812345678")
        await gateway.client.post("/api/auth/wechat/phone", json={"code": first}, headers=bearer(token))

        again = await gateway.client.post("/api/auth/wechat/phone", json={"code": "another"}, headers=bearer(token))

        assert again.status_code == 200
        assert again.json() == {"phone": "13812345678", "phone_masked": "138****5678"}
        assert gateway.wechat.calls(FakeEndpoint.phone_number) == 1

    async def test_a_resident_replaces_the_bound_number(self, gateway: Gateway) -> None:
        token = await self.resident_token(gateway)
        first = gateway.wechat.register_phone_code("13812345678")
        await gateway.client.post("/api/auth/wechat/phone", json={"code": first}, headers=bearer(token))
        second = gateway.wechat.register_phone_code("13900002222")

        replaced = await gateway.client.post(
            "/api/auth/wechat/phone", json={"code": second, "replace": True}, headers=bearer(token)
        )

        assert replaced.json() == {"phone": "13900002222", "phone_masked": "139****2222"}
        me = await gateway.client.get("/api/auth/me", headers=bearer(token))
        assert me.json()["phone_masked"] == "139****2222"
        assert gateway.wechat.calls(FakeEndpoint.phone_number) == 2

    async def test_a_foreign_number_is_refused(self, gateway: Gateway) -> None:
        token = await self.resident_token(gateway)
        code = gateway.wechat.register_phone_code("85291234567", country_code="852")

        response = await gateway.client.post("/api/auth/wechat/phone", json={"code": code}, headers=bearer(token))

        assert response.status_code == 422
        assert response.json()["errors"][0]["message"] == "目前只支持中国大陆手机号"

    async def test_only_a_resident_binds_a_phone(self, gateway: Gateway) -> None:
        response = await gateway.client.post("/api/auth/wechat/phone", json={"code": "x"})

        assert response.status_code == 401


class TestDevLogin:
    async def test_dev_mode_logs_in_any_openid(self, gateway: Gateway) -> None:
        first = await gateway.client.post("/api/auth/dev/login", json={"openid": "dev-resident"})
        second = await gateway.client.post("/api/auth/dev/login", json={"openid": "dev-resident"})

        assert first.status_code == 200
        assert first.json()["resident"]["id"] == second.json()["resident"]["id"]

    async def test_dev_mode_binds_a_phone_without_wechat(self, gateway: Gateway) -> None:
        token = (await gateway.client.post("/api/auth/dev/login", json={"openid": "dev-phone"})).json()["access_token"]

        bound = await gateway.client.post("/api/auth/dev/phone", json={"phone": "13900001111"}, headers=bearer(token))
        bad = await gateway.client.post("/api/auth/dev/phone", json={"phone": "12345"}, headers=bearer(token))

        assert bound.json() == {"phone": "13900001111", "phone_masked": "139****1111"}
        assert bad.status_code == 422
        assert bad.json()["errors"] == [
            {"field": "phone", "message": "请输入 11 位中国大陆手机号", "code": "value_error"}
        ]

    async def test_a_resident_refreshes_into_a_resident_session(self, gateway: Gateway) -> None:
        tokens = (await gateway.client.post("/api/auth/dev/login", json={"openid": "dev-refresh"})).json()

        refreshed = await gateway.client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

        assert refreshed.json()["resident"]["id"] == tokens["resident"]["id"]

    async def test_live_mode_has_no_dev_login(self, live_gateway: Gateway) -> None:
        response = await live_gateway.client.post("/api/auth/dev/login", json={"openid": "dev-resident"})

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestLoginConfig:
    async def test_dev_mode_tells_the_page_to_offer_the_dev_login(self, gateway: Gateway) -> None:
        response = await gateway.client.get("/api/auth/config")

        assert response.json() == {
            "wechat_mode": "dev",
            "h5_appid": APPID,
            "privacy_notice_version": NOTICE_VERSION,
            "decision_template": None,
            "checkout_reminder_template": None,
            "risk_notice_template": None,
        }

    async def test_live_mode_names_the_official_accounts_appid_for_the_oauth_redirect(
        self, accounts_url: str, redis_url: str
    ) -> None:
        settings = gateway_settings(accounts_url, redis_url, wechat_mode=WeChatMode.live, wechat_h5_appid="wx-h5")
        async for running in start_gateway(settings):
            response = await running.client.get("/api/auth/config")

            assert response.json() == {
                "wechat_mode": "live",
                "h5_appid": "wx-h5",
                "privacy_notice_version": NOTICE_VERSION,
                "decision_template": None,
                "checkout_reminder_template": None,
                "risk_notice_template": None,
            }
