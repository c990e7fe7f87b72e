from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lianfang.gateway.privacy.notice import VERSION

from .conftest import Gateway, gateway_settings, start_gateway

pytestmark = pytest.mark.usefixtures("backend")

CONSENT = "/api/auth/me/privacy-consent"


async def resident_headers(gateway: Gateway, openid: str = "o-privacy") -> dict[str, str]:
    login = await gateway.client.post("/api/auth/dev/login", json={"openid": openid})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


class TestNotice:
    async def test_anyone_reads_what_is_collected_why_for_how_long_and_who_sees_it(self, gateway: Gateway) -> None:
        response = await gateway.client.get("/api/auth/privacy-notice")

        assert response.status_code == 200
        notice = response.json()
        assert notice["version"] == VERSION
        assert [section["heading"] for section in notice["summary"]] == ["收集什么", "用于什么", "保存多久", "谁能看到"]
        assert notice["retention_days"] == 30
        assert "登记记录保存 30 天，期满自动删除。" in notice["summary"][2]["text"]
        assert "仅用于疫情防控" in notice["summary"][1]["text"]
        assert "敏感个人信息" in notice["sensitive"]
        assert "健康信息" in notice["sensitive"]
        assert "行踪轨迹" in notice["sensitive"]
        assert len(notice["full_text"]) >= 5

    @pytest.fixture
    async def keeping_90_days(self, accounts_url: str, redis_url: str) -> AsyncIterator[Gateway]:
        async for running in start_gateway(gateway_settings(accounts_url, redis_url, retention_days=90)):
            yield running

    async def test_the_retention_is_the_servers_setting(self, keeping_90_days: Gateway) -> None:
        notice = (await keeping_90_days.client.get("/api/auth/privacy-notice")).json()

        assert notice["retention_days"] == 90
        assert "登记记录保存 90 天" in notice["summary"][2]["text"]

    async def test_the_login_settings_name_the_notices_version(self, gateway: Gateway) -> None:
        config = (await gateway.client.get("/api/auth/config")).json()

        assert config["privacy_notice_version"] == VERSION


class TestConsent:
    async def test_a_new_resident_is_asked_then_agrees_once(self, gateway: Gateway) -> None:
        headers = await resident_headers(gateway)

        before = await gateway.client.get(CONSENT, headers=headers)
        given = await gateway.client.post(CONSENT, json={"version": VERSION}, headers=headers)
        again = await gateway.client.post(CONSENT, json={"version": VERSION}, headers=headers)
        after = await gateway.client.get(CONSENT, headers=headers)

        assert before.json() == {
            "current_version": VERSION,
            "consented_version": None,
            "consented_at": None,
            "needed": True,
        }
        assert given.status_code == again.status_code == 201
        assert given.json()["needed"] is False
        assert again.json()["consented_at"] == given.json()["consented_at"]
        assert after.json() == given.json()
        assert after.json()["consented_version"] == VERSION

    async def test_consent_is_per_resident(self, gateway: Gateway) -> None:
        agreed = await resident_headers(gateway, "o-agreed")
        other = await resident_headers(gateway, "o-other")
        await gateway.client.post(CONSENT, json={"version": VERSION}, headers=agreed)

        assert (await gateway.client.get(CONSENT, headers=other)).json()["needed"] is True

    async def test_agreeing_to_an_older_text_is_refused(self, gateway: Gateway) -> None:
        headers = await resident_headers(gateway)

        response = await gateway.client.post(CONSENT, json={"version": "2020-01-01"}, headers=headers)

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "privacy_notice_outdated"
        assert VERSION in response.json()["detail"]
        assert (await gateway.client.get(CONSENT, headers=headers)).json()["needed"] is True

    async def test_only_a_resident_may_agree(self, gateway: Gateway) -> None:
        anonymous = await gateway.client.post(CONSENT, json={"version": VERSION})
        login = await gateway.client.post(
            "/api/auth/admin/login", json={"username": "admin", "password": "Root-pass-2026"}
        )
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        as_admin = await gateway.client.get(CONSENT, headers=admin)

        assert anonymous.status_code == 401
        assert as_admin.status_code == 403
