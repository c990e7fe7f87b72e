"""The events of one moment leave as one message, and each caller returns once the message holding its events is
confirmed (or fails with it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from lianfang.checkin.publisher import EventPublisher
from lianfang.common.messaging import Broker, BrokerUnavailable, OutgoingMessage, connect_broker

from .support import Published

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
async def broker(broker_url: str) -> AsyncIterator[Broker]:
    broker = connect_broker(broker_url)
    yield broker
    await broker.close()


@pytest.fixture
async def publisher(broker: Broker, published: Published) -> EventPublisher:
    """Past its first publish, which declares the topology and connects."""
    publisher = EventPublisher(broker, events_per_message=50)
    await publisher.publish([event(-1)])
    await published.take(1)
    return publisher


def event(number: int, city: str = "1301") -> OutgoingMessage:
    return OutgoingMessage(f"checkin.created.{city}", b'{"number":%d}' % number, message_id=f"event-{number}")


async def test_events_published_in_the_same_moment_leave_as_one_message(
    publisher: EventPublisher, published: Published
) -> None:
    await asyncio.gather(*(publisher.publish([event(number)]) for number in range(5)))

    (delivery,) = await published.take(1)
    assert json.loads(delivery.body) == [{"number": number} for number in range(5)]
    assert delivery.message_id == "event-0"
    await published.nothing()


async def test_an_event_alone_is_a_message_of_its_own(publisher: EventPublisher, published: Published) -> None:
    await publisher.publish([event(7)])
    await publisher.publish([event(8)])

    first, second = await published.take(2)
    assert (first.body, second.body) == (b'{"number":7}', b'{"number":8}')


async def test_events_of_different_cities_leave_apart(publisher: EventPublisher, published: Published) -> None:
    await publisher.publish([event(1, "1301"), event(2, "1302"), event(3, "1301")])

    deliveries = sorted(await published.take(2), key=lambda delivery: delivery.routing_key)
    assert [(delivery.routing_key, json.loads(delivery.body)) for delivery in deliveries] == [
        ("checkin.created.1301", [{"number": 1}, {"number": 3}]),
        ("checkin.created.1302", {"number": 2}),
    ]


async def test_a_rush_is_cut_into_messages_of_at_most_fifty_events(
    publisher: EventPublisher, published: Published
) -> None:
    await asyncio.gather(*(publisher.publish([event(number)]) for number in range(120)))

    sizes = sorted(len(json.loads(delivery.body)) for delivery in await published.take(3))
    assert sizes == [20, 50, 50]


async def test_one_event_per_message_when_so_configured(broker: Broker, published: Published) -> None:
    publisher = EventPublisher(broker, events_per_message=1)

    await asyncio.gather(*(publisher.publish([event(number)]) for number in range(3)))

    assert sorted(delivery.body for delivery in await published.take(3)) == [
        b'{"number":0}',
        b'{"number":1}',
        b'{"number":2}',
    ]
    await published.nothing()


async def test_every_caller_of_a_message_the_broker_did_not_take_fails(
    publisher: EventPublisher, broker: Broker, published: Published
) -> None:
    await broker.close()

    outcomes = await asyncio.gather(
        *(publisher.publish([event(number)]) for number in range(3)), return_exceptions=True
    )

    assert [type(outcome) for outcome in outcomes] == [BrokerUnavailable] * 3
    await published.nothing()


async def test_events_carry_no_headers(publisher: EventPublisher) -> None:
    with pytest.raises(ValueError, match="headers"):
        await publisher.publish([OutgoingMessage("checkin.created.1301", b"{}", headers={"x-trace": "1"})])
