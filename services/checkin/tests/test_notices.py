"""After a staff decision the resident hears of it through WeChat (the gateway's subscribe message), never in the
decision's way."""

from __future__ import annotations

import uuid

import httpx
import pytest

from lianfang.checkin.notifier import Notifier
from lianfang.checkin.settings import CheckinSettings

from .conftest import FakeGateway, Instance, Serve, checkin_settings
from .support import resident, staff
from .test_staff import AUDITED, arrive, audited, by_hand, decision_on

pytestmark = pytest.mark.usefixtures("backend", "audited")
__all__ = ["audited"]


async def decided(instance: Instance, record_id: str, decision: str = "approve", **more: object) -> httpx.Response:
    keeper = staff(AUDITED.id)
    response = await instance.client.post(decision_on(record_id), json={"decision": decision} | more, headers=keeper)
    notifier: Notifier = instance.app.state.notifier
    await notifier.drain()
    return response


class TestDecisionNotice:
    async def test_the_resident_is_told_the_result_with_the_deciding_keepers_token(
        self, instance: Instance, gateway: FakeGateway
    ) -> None:
        person = uuid.uuid4()
        receipt = await arrive(instance.client, resident(person))

        response = await decided(instance, receipt["id"], "reject", reason="请走西门")

        assert response.status_code == 200
        ((notice, authorization),) = gateway.notices
        assert notice | {"decided_at": ""} == {
            "resident_id": str(person),
            "record_id": receipt["id"],
            "checkpoint_name": "育才小区西门",
            "status_label": "未通过",
            "decided_at": "",
            "reason": "请走西门",
        }
        assert authorization.startswith("Bearer ")

    async def test_a_gateway_in_trouble_is_tried_again_and_never_holds_up_the_decision(
        self, settings: CheckinSettings, start: Serve, gateway: FakeGateway
    ) -> None:
        gateway.failures = [503, 502]
        async with start(settings.model_copy(update={"notify_retry_seconds": 0.01})) as instance:
            receipt = await arrive(instance.client)

            response = await decided(instance, receipt["id"])

        assert response.status_code == 200
        assert len(gateway.notices) == 1

    async def test_a_gateway_that_keeps_failing_is_given_up(
        self, redis_url: str, broker_url: str, start: Serve, gateway: FakeGateway
    ) -> None:
        gateway.failures = [503] * 5
        settings = checkin_settings(redis_url, broker_url, notify_attempts=2, notify_retry_seconds=0.01)
        async with start(settings) as instance:
            receipt = await arrive(instance.client)

            response = await decided(instance, receipt["id"])

        assert response.status_code == 200
        assert gateway.notices == []
        assert gateway.failures == [503] * 3

    async def test_a_visitor_entered_by_hand_has_nobody_to_tell(self, instance: Instance, gateway: FakeGateway) -> None:
        body = {"client_id": str(uuid.uuid4()), "name": "赵大爷", "phone": "13700000007", "temperature": 36.4}
        entered = await instance.client.post(by_hand(AUDITED.id), json=body, headers=staff(AUDITED.id))

        await decided(instance, entered.json()["id"])

        assert gateway.notices == []
