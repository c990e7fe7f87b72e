"""离开提醒: a resident who subscribed to it is reminded, once, when their check-in's assumed stay is over and they
have not checked out; nothing else is reminded, and nothing is lost when an instance restarts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from lianfang.checkin.notifier import Notifier
from lianfang.checkin.reminders import CheckoutReminders
from lianfang.checkin.settings import CheckinSettings
from lianfang.common.auth.service import service_credential
from lianfang.common.settings import DEV_PII_KEY

from .conftest import FakeGateway, Instance, Serve
from .support import GATE, resident
from .test_checkouts import CHECKOUTS, check_in, checkout, stay_of

pytestmark = pytest.mark.usefixtures("backend", "seeded")

# A community gate's assumed stay.
STAY = timedelta(minutes=10)


async def remind_at(instance: Instance, moment: datetime) -> None:
    """What every instance does every few seconds, at `moment`, and the messages it started sent."""
    reminders: CheckoutReminders = instance.app.state.reminders
    notifier: Notifier = instance.app.state.notifier
    await reminders.send_due(moment)
    await notifier.drain()


async def subscribed_check_in(instance: Instance, person_id: uuid.UUID) -> datetime:
    receipt = await check_in(instance.client, resident(person_id), remind_checkout=True)
    # The page reads Redis after the check-in's writes, which the receipt does not wait for.
    await stay_of(instance.client, resident(person_id))
    return datetime.fromisoformat(receipt["checked_at"])


class TestCheckoutReminder:
    async def test_sent_when_the_stay_is_over_with_the_service_credential(
        self, instance: Instance, gateway: FakeGateway
    ) -> None:
        person_id = uuid.uuid4()
        checked_at = await subscribed_check_in(instance, person_id)

        await remind_at(instance, checked_at + STAY - timedelta(seconds=1))
        assert gateway.reminders == []
        await remind_at(instance, checked_at + STAY)

        ((reminder, credential),) = gateway.reminders
        assert reminder == {
            "resident_id": str(person_id),
            "checkpoint_name": GATE.name,
            "checked_at": checked_at.isoformat(),
        }
        assert credential == service_credential(DEV_PII_KEY)

    async def test_sent_once_however_many_instances_look(
        self, instance: Instance, settings: CheckinSettings, start: Serve, gateway: FakeGateway
    ) -> None:
        checked_at = await subscribed_check_in(instance, uuid.uuid4())

        async with start(settings) as other:
            await remind_at(other, checked_at + STAY)
            await remind_at(instance, checked_at + STAY + timedelta(minutes=1))

        assert len(gateway.reminders) == 1

    async def test_not_sent_after_a_check_out(self, instance: Instance, gateway: FakeGateway) -> None:
        person_id = uuid.uuid4()
        checked_at = await subscribed_check_in(instance, person_id)

        left = await instance.client.post(CHECKOUTS, json=checkout(), headers=resident(person_id))
        await remind_at(instance, checked_at + STAY + timedelta(hours=1))

        assert left.status_code == 201, left.text
        assert gateway.reminders == []

    async def test_not_sent_to_one_who_did_not_subscribe(self, instance: Instance, gateway: FakeGateway) -> None:
        receipt = await check_in(instance.client, resident())

        await remind_at(instance, datetime.fromisoformat(receipt["checked_at"]) + STAY)

        assert gateway.reminders == []

    async def test_a_new_check_in_there_moves_it_to_the_new_stays_end(
        self, instance: Instance, gateway: FakeGateway
    ) -> None:
        person_id = uuid.uuid4()
        await subscribed_check_in(instance, person_id)
        again = await subscribed_check_in(instance, person_id)

        await remind_at(instance, again + STAY - timedelta(seconds=1))
        assert gateway.reminders == []
        await remind_at(instance, again + STAY)

        ((reminder, _),) = gateway.reminders
        assert reminder["checked_at"] == again.isoformat()

    async def test_a_new_check_in_without_the_subscription_cancels_it(
        self, instance: Instance, gateway: FakeGateway
    ) -> None:
        person_id = uuid.uuid4()
        checked_at = await subscribed_check_in(instance, person_id)
        await check_in(instance.client, resident(person_id))
        await stay_of(instance.client, resident(person_id))

        await remind_at(instance, checked_at + timedelta(hours=1))

        assert gateway.reminders == []

    async def test_a_restarted_service_still_sends_it(
        self, settings: CheckinSettings, start: Serve, gateway: FakeGateway
    ) -> None:
        async with start(settings) as before:
            checked_at = await subscribed_check_in(before, uuid.uuid4())

        async with start(settings) as after:
            await remind_at(after, checked_at + STAY)

        assert len(gateway.reminders) == 1

    async def test_a_gateway_in_trouble_is_tried_again(
        self, settings: CheckinSettings, start: Serve, gateway: FakeGateway
    ) -> None:
        async with start(settings.model_copy(update={"notify_retry_seconds": 0.01})) as instance:
            checked_at = await subscribed_check_in(instance, uuid.uuid4())
            gateway.failures = [503, 502]

            await remind_at(instance, checked_at + STAY)

        assert len(gateway.reminders) == 1
        assert gateway.failures == []
