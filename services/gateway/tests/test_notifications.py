from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from lianfang.common.auth import AdminPrincipal, StaffPrincipal
from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.settings import DEV_PII_KEY
from lianfang.common.testing import bearer
from lianfang.gateway.notifications.service import CHECKOUT_HINT, thing
from lianfang.gateway.wechat.testing import FakeEndpoint

from .conftest import Gateway, gateway_settings, start_gateway

TEMPLATE = "tmpl-decision-0001"
REMINDER = "tmpl-checkout-0002"
RISK = "tmpl-risk-0003"
SERVICE = {SERVICE_HEADER: service_credential(DEV_PII_KEY)}
REMINDER_PATH = "/api/auth/internal/notifications/checkout-reminder"
RISK_PATH = "/api/auth/internal/notifications/risk"


@pytest.fixture
async def notifying(accounts_url: str, redis_url: str) -> AsyncIterator[Gateway]:
    settings = gateway_settings(
        accounts_url,
        redis_url,
        wechat_template_decision=TEMPLATE,
        wechat_template_checkout_reminder=REMINDER,
        wechat_template_risk_notice=RISK,
    )
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

        assert [
            config[name] for name in ("decision_template", "checkout_reminder_template", "risk_notice_template")
        ] == [
            TEMPLATE,
            REMINDER,
            RISK,
        ]


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


def reminder(resident_id: str) -> dict[str, object]:
    return {"resident_id": resident_id, "checkpoint_name": "育才小区西门", "checked_at": "2026-12-06T02:05:00Z"}


class TestCheckoutReminder:
    async def test_the_resident_who_subscribed_is_reminded_to_check_out(self, notifying: Gateway) -> None:
        resident_id = await resident(notifying, "o-staying")
        notifying.wechat.subscribe("o-staying", REMINDER)

        response = await notifying.client.post(REMINDER_PATH, json=reminder(resident_id), headers=SERVICE)

        assert response.json() == {"sent": True, "reason": "sent"}
        (sent,) = notifying.wechat.sent_messages()
        assert (sent.touser, sent.template_id) == ("o-staying", REMINDER)
        assert sent.data == {"thing1": "育才小区西门", "time2": "2026-12-06 10:05", "thing3": CHECKOUT_HINT}

    async def test_one_acceptance_allows_one_reminder(self, notifying: Gateway) -> None:
        resident_id = await resident(notifying, "o-once")
        notifying.wechat.subscribe("o-once", REMINDER)

        first = await notifying.client.post(REMINDER_PATH, json=reminder(resident_id), headers=SERVICE)
        second = await notifying.client.post(REMINDER_PATH, json=reminder(resident_id), headers=SERVICE)

        assert [first.json()["reason"], second.json()["reason"]] == ["sent", "not_subscribed"]
        assert second.status_code == 200

    async def test_only_the_services_may_ask_for_a_reminder(self, notifying: Gateway) -> None:
        resident_id = await resident(notifying, "o-forged")
        notifying.wechat.subscribe("o-forged", REMINDER)

        forged = await notifying.client.post(REMINDER_PATH, json=reminder(resident_id), headers=staff())

        assert forged.status_code == 401
        assert notifying.wechat.sent_messages() == []


def official() -> dict[str, str]:
    return bearer(AdminPrincipal(uuid.uuid4(), 7, "/1/7/"))


def risk(*resident_ids: str, text: str = "请联系社区 0315-2828123") -> dict[str, object]:
    return {
        "resident_ids": list(resident_ids),
        "text": text,
        "region_name": "育才社区",
        "confirmed_at": "2026-12-06T09:30:00Z",
    }


class TestRiskNotice:
    async def test_each_resident_is_counted_as_sent_not_subscribed_or_without_an_account(
        self, notifying: Gateway
    ) -> None:
        told = await resident(notifying, "o-told")
        silent = await resident(notifying, "o-not-subscribed")
        notifying.wechat.subscribe("o-told", RISK)

        response = await notifying.client.post(
            RISK_PATH, json=risk(told, silent, str(uuid.uuid4())), headers=official()
        )

        assert response.json() == {"sent": 1, "not_subscribed": 1, "no_account": 1, "failed": 0}
        (sent,) = notifying.wechat.sent_messages()
        assert (sent.touser, sent.template_id) == ("o-told", RISK)
        assert sent.data == {"thing1": "请联系社区 0315-2828123", "thing2": "育才社区", "time3": "2026-12-06 17:30"}

    async def test_a_wechat_error_for_one_resident_is_counted_and_the_others_still_get_theirs(
        self, notifying: Gateway
    ) -> None:
        first = await resident(notifying, "o-first")
        second = await resident(notifying, "o-second")
        notifying.wechat.subscribe("o-first", RISK)
        notifying.wechat.subscribe("o-second", RISK)
        notifying.wechat.fail_next(FakeEndpoint.subscribe_send, 40003)

        response = await notifying.client.post(RISK_PATH, json=risk(first, second), headers=official())

        assert response.json() == {"sent": 1, "not_subscribed": 0, "no_account": 0, "failed": 1}

    async def test_text_over_twenty_characters_is_refused_not_cut(self, notifying: Gateway) -> None:
        response = await notifying.client.post(
            RISK_PATH, json=risk(str(uuid.uuid4()), text="请联系" + "社" * 18), headers=official()
        )

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["text"]

    async def test_only_an_official_may_send_one(self, notifying: Gateway) -> None:
        response = await notifying.client.post(RISK_PATH, json=risk(str(uuid.uuid4())), headers=staff())

        assert response.status_code == 403
