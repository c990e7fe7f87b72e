from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from lianfang.common.auth import StaffPrincipal
from lianfang.common.testing import bearer
from lianfang.gateway.notifications.service import thing
from lianfang.gateway.wechat.fake import FakeEndpoint

from .conftest import Gateway, gateway_settings, start_gateway

TEMPLATE = "tmpl-decision-0001"


@pytest.fixture
async def notifying(accounts_url: str, redis_url: str) -> AsyncIterator[Gateway]:
    settings = gateway_settings(accounts_url, redis_url, wechat_template_decision=TEMPLATE)
    async for running in start_gateway(settings):
        yield running


def staff() -> dict[str, str]:
    return bearer(StaffPrincipal(uuid.uuid4(), 7, "/1/7/", (101,)))


async def resident(gateway: Gateway, openid: str) -> str:
    code = gateway.wechat.register_login_code(openid)
    body = (await gateway.client.post("/api/auth/wechat/miniprogram", json={"code": code})).json()
    resident_id: str = body["resident"]["id"]
    return resident_id


def notice(resident_id: str, **more: object) -> dict[str, object]:
    return {
        "resident_id": resident_id,
        "record_id": str(uuid.uuid4()),
        "checkpoint_name": "唐山市人民医院门诊楼东侧新建发热门诊入口处",
        "status_label": "准许通行",
        "decided_at": "2026-12-06T02:05:00Z",
    } | more


class TestDecisionNotice:
    async def test_the_resident_who_subscribed_gets_the_result(self, notifying: Gateway) -> None:
        resident_id = await resident(notifying, "o-notified")
        notifying.wechat.subscribe("o-notified", TEMPLATE)

        response = await notifying.client.post(
            "/api/auth/internal/notifications/decision",
            json=notice(resident_id, status_label="未通过", reason="请走西门"),
            headers=staff(),
        )

        assert response.json() == {"sent": True, "reason": "sent"}
        (sent,) = notifying.wechat.sent_messages()
        assert (sent.touser, sent.template_id, sent.page) == ("o-notified", TEMPLATE, "pages/mine/index")
        assert sent.data == {
            "thing1": "唐山市人民医院门诊楼东侧新建发热门诊入…",
            "phrase2": "未通过",
            "time3": "2026-12-06 10:05",
            "thing4": "请走西门",
        }

    async def test_one_who_did_not_subscribe_gets_nothing_and_that_is_no_fault(self, notifying: Gateway) -> None:
        resident_id = await resident(notifying, "o-silent")

        response = await notifying.client.post(
            "/api/auth/internal/notifications/decision", json=notice(resident_id), headers=staff()
        )

        assert (response.status_code, response.json()) == (200, {"sent": False, "reason": "not_subscribed"})

    async def test_without_a_template_nothing_is_asked_of_wechat(self, gateway: Gateway) -> None:
        resident_id = await resident(gateway, "o-unconfigured")

        response = await gateway.client.post(
            "/api/auth/internal/notifications/decision", json=notice(resident_id), headers=staff()
        )

        assert response.json() == {"sent": False, "reason": "not_configured"}

    async def test_only_staff_and_admins_may_notify(self, notifying: Gateway) -> None:
        response = await notifying.client.post(
            "/api/auth/internal/notifications/decision", json=notice(str(uuid.uuid4()))
        )

        assert response.status_code == 401

    async def test_the_mini_program_learns_the_template_to_ask_for(self, notifying: Gateway) -> None:
        config = (await notifying.client.get("/api/auth/config")).json()

        assert config["decision_template"] == TEMPLATE


def test_a_thing_is_cut_to_twenty_characters() -> None:
    assert thing("育才小区东门") == "育才小区东门"
    assert len(thing("长" * 30)) == 20
    assert thing("  ") == "无"


async def test_a_failed_send_answers_with_the_problem(notifying: Gateway) -> None:
    resident_id = await resident(notifying, "o-busy")
    notifying.wechat.subscribe("o-busy", TEMPLATE)
    notifying.wechat.break_next(FakeEndpoint.subscribe_send)

    response = await notifying.client.post(
        "/api/auth/internal/notifications/decision", json=notice(resident_id), headers=staff()
    )

    assert response.status_code == 503
    assert response.json()["code"] == "wechat_unavailable"
