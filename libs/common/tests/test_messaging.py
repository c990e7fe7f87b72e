"""The broker as its users see it, on the in-process backend and, when `LIANFANG_TEST_AMQP_URL` is set, on RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aio_pika
import pytest

from lianfang.common.messaging import (
    CHECKINS_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DEATH_REASON_HEADER,
    INGEST_QUEUE,
    LIANFANG_TOPOLOGY,
    AlreadySettledError,
    Binding,
    Broker,
    BrokerUnavailable,
    Consumer,
    Delivery,
    Exchange,
    ExchangeType,
    NotDeclaredError,
    OutgoingMessage,
    Queue,
    Topology,
    connect_broker,
)

AMQP_URL = os.environ.get("LIANFANG_TEST_AMQP_URL")


@dataclass(frozen=True)
class Names:
    """Unique per test, so runs on a shared RabbitMQ never see each other's messages."""

    events: str
    dead: str
    queue: str
    narrow: str
    dead_queue: str

    @property
    def topology(self) -> Topology:
        return Topology(
            exchanges=(Exchange(self.events, ExchangeType.topic), Exchange(self.dead, ExchangeType.fanout)),
            queues=(Queue(self.queue, dead_letter_exchange=self.dead), Queue(self.narrow), Queue(self.dead_queue)),
            bindings=(
                Binding(self.events, self.queue, "checkin.#"),
                Binding(self.events, self.narrow, "checkin.created.*"),
                Binding(self.dead, self.dead_queue),
            ),
        )


@pytest.fixture(params=["memory", "journaled", pytest.param("rabbitmq", marks=pytest.mark.real)])
def messaging_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return f"memory://test-{uuid.uuid4().hex}"
    if request.param == "journaled":
        return journaled(tmp_path)
    if AMQP_URL is None:
        pytest.skip("LIANFANG_TEST_AMQP_URL is not set")
    return AMQP_URL


@pytest.fixture
def names() -> Names:
    suffix = uuid.uuid4().hex[:12]
    return Names(
        events=f"test.events.{suffix}",
        dead=f"test.dead.{suffix}",
        queue=f"test.checkins.{suffix}",
        narrow=f"test.created.{suffix}",
        dead_queue=f"test.dead.{suffix}",
    )


@pytest.fixture
async def broker(messaging_url: str, names: Names) -> AsyncIterator[Broker]:
    broker = connect_broker(messaging_url, timeout=5)
    try:
        await broker.declare(names.topology)
        yield broker
    finally:
        await broker.close()
        if not messaging_url.startswith("memory:"):
            await _delete_from_rabbitmq(messaging_url, names.topology)


async def _delete_from_rabbitmq(url: str, topology: Topology) -> None:
    async with await aio_pika.connect(url) as connection:
        channel = connection.channel()
        await channel.initialize()
        for queue in topology.queues:
            await channel.queue_delete(queue.name)
        for exchange in topology.exchanges:
            await channel.exchange_delete(exchange.name)
        await channel.close()


def journaled(folder: Path) -> str:
    """An in-process broker of its own on the journal in `folder`: a new name is what a new process would make."""
    return f"memory://test-{uuid.uuid4().hex}?journal={quote(str(folder / 'broker.db'))}"


async def take(consumer: Consumer, count: int) -> list[Delivery]:
    async with asyncio.timeout(5):
        return [await anext(consumer) for _ in range(count)]


async def assert_nothing_arrives(consumer: Consumer) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await anext(consumer)


class TestPublish:
    async def test_a_confirmed_message_arrives_with_its_body_and_headers(self, broker: Broker, names: Names) -> None:
        await broker.publish(
            names.events,
            "checkin.created.130100",
            b'{"schema_version": 1}',
            headers={"schema_version": "1"},
            message_id="checkin-1",
        )
        async with broker.consume(names.queue, prefetch=10) as consumer:
            [delivery] = await take(consumer, 1)
            assert delivery.body == b'{"schema_version": 1}'
            assert delivery.headers["schema_version"] == "1"
            assert delivery.message_id == "checkin-1"
            assert (delivery.exchange, delivery.routing_key) == (names.events, "checkin.created.130100")
            assert delivery.redelivered is False
            await delivery.ack()
        assert await broker.queue_depth(names.queue) == 0

    async def test_topic_routing_follows_star_and_hash(self, broker: Broker, names: Names) -> None:
        for routing_key in (
            "checkin.created.130100",
            "checkin.decided.130100",
            "checkin",
            "checkin.created",
            "checkin.created.130100.extra",
            "other.created.130100",
        ):
            await broker.publish(names.events, routing_key, routing_key.encode())
        assert await broker.queue_depth(names.queue) == 5
        assert await broker.queue_depth(names.narrow) == 1
        async with broker.consume(names.narrow) as consumer:
            [delivery] = await take(consumer, 1)
            assert delivery.body == b"checkin.created.130100"
            await delivery.ack()

    async def test_publish_many_returns_when_all_are_confirmed(self, broker: Broker, names: Names) -> None:
        bodies = [f'{{"n": {n}}}'.encode() for n in range(500)]
        await broker.publish_many(names.events, [OutgoingMessage("checkin.decided.130100", body) for body in bodies])
        assert await broker.queue_depth(names.queue) == 500
        async with broker.consume(names.queue, prefetch=500) as consumer:
            received = await take(consumer, 500)
            await received[-1].ack(multiple=True)
        assert sorted(delivery.body for delivery in received) == sorted(bodies)
        assert await broker.queue_depth(names.queue) == 0

    async def test_a_message_no_binding_matches_is_dropped(self, broker: Broker, names: Names) -> None:
        await broker.publish(names.dead, "anything", b"{}")
        await broker.publish(names.events, "unrelated", b"{}")
        assert await broker.queue_depth(names.queue) == 0
        assert await broker.queue_depth(names.dead_queue) == 1

    async def test_an_undeclared_exchange_or_queue_is_refused(self, broker: Broker, names: Names) -> None:
        missing = f"test.missing.{uuid.uuid4().hex}"
        with pytest.raises(NotDeclaredError):
            await broker.publish(missing, "checkin.created.130100", b"{}")
        with pytest.raises(NotDeclaredError):
            await broker.publish_many(missing, [OutgoingMessage("checkin.created.130100", b"{}")])
        with pytest.raises(NotDeclaredError):
            await broker.queue_depth(missing)
        with pytest.raises(NotDeclaredError):
            async with broker.consume(missing):
                pass
        await broker.publish(names.events, "checkin.created.130100", b"{}")
        assert await broker.queue_depth(names.queue) == 1

    async def test_declaring_again_is_harmless_but_declaring_differently_is_refused(
        self, broker: Broker, names: Names
    ) -> None:
        await broker.declare(names.topology)
        with pytest.raises(ValueError, match="declared differently"):
            await broker.declare(Topology(queues=(Queue(names.queue),)))


class TestConsume:
    async def test_prefetch_limits_the_deliveries_in_flight(self, broker: Broker, names: Names) -> None:
        for n in range(5):
            await broker.publish(names.events, "checkin.decided.130100", str(n).encode())
        async with broker.consume(names.queue, prefetch=2) as consumer:
            first, second = await take(consumer, 2)
            await assert_nothing_arrives(consumer)
            assert consumer.in_flight == 2
            await first.ack()
            [third] = await take(consumer, 1)
            await assert_nothing_arrives(consumer)
            assert [first.body, second.body, third.body] == [b"0", b"1", b"2"]
            assert await broker.queue_depth(names.queue) == 2
            await third.ack(multiple=True)

    async def test_batch_takes_what_arrives_within_the_wait(self, broker: Broker, names: Names) -> None:
        for n in range(5):
            await broker.publish(names.events, "checkin.decided.130100", str(n).encode())
        async with broker.consume(names.queue, prefetch=10) as consumer:
            first = await consumer.batch(3, max_wait=1)
            rest = await consumer.batch(10, max_wait=0.5)
            assert [delivery.body for delivery in first + rest] == [b"0", b"1", b"2", b"3", b"4"]
            await rest[-1].ack(multiple=True)
            assert consumer.in_flight == 0
            assert all(delivery.settled for delivery in first + rest)
            with pytest.raises(AlreadySettledError):
                await first[0].ack()
        assert await broker.queue_depth(names.queue) == 0

    async def test_nack_with_requeue_redelivers_marked_redelivered(self, broker: Broker, names: Names) -> None:
        await broker.publish(names.events, "checkin.decided.130100", b"again")
        async with broker.consume(names.queue, prefetch=1) as consumer:
            [delivery] = await take(consumer, 1)
            await delivery.nack(requeue=True)
            [redelivery] = await take(consumer, 1)
            assert (redelivery.body, redelivery.redelivered) == (b"again", True)
            await redelivery.ack()
        assert await broker.queue_depth(names.queue) == 0

    async def test_unsettled_deliveries_come_back_when_the_consumer_stops(self, broker: Broker, names: Names) -> None:
        for n in range(3):
            await broker.publish(names.events, "checkin.decided.130100", str(n).encode())
        async with broker.consume(names.queue, prefetch=10) as consumer:
            first, second, _ = await take(consumer, 3)
            await first.ack()
        with pytest.raises(AlreadySettledError):
            await second.ack()
        async with broker.consume(names.queue, prefetch=10) as consumer:
            again = await take(consumer, 2)
            assert [(delivery.body, delivery.redelivered) for delivery in again] == [(b"1", True), (b"2", True)]
            await again[-1].ack(multiple=True)
        assert await broker.queue_depth(names.queue) == 0

    async def test_stop_ends_iteration_and_received_deliveries_can_still_be_acked(
        self, broker: Broker, names: Names
    ) -> None:
        for n in range(3):
            await broker.publish(names.events, "checkin.decided.130100", str(n).encode())
        async with broker.consume(names.queue, prefetch=10) as consumer:
            received = await take(consumer, 3)
            await consumer.stop()
            assert [delivery async for delivery in consumer] == []
            assert await consumer.batch(10, max_wait=0.1) == []
            await received[-1].ack(multiple=True)
        assert await broker.queue_depth(names.queue) == 0


class TestDeadLetter:
    async def test_dead_letter_lands_in_the_dead_queue_with_the_reason(self, broker: Broker, names: Names) -> None:
        await broker.publish(
            names.events, "checkin.decided.130100", b'{"bad": true}', headers={"schema_version": "9"}, message_id="m-9"
        )
        async with broker.consume(names.queue) as consumer:
            [delivery] = await take(consumer, 1)
            await delivery.dead_letter("未知的 schema_version 9")
            assert delivery.settled
        async with broker.consume(names.dead_queue) as consumer:
            [dead] = await take(consumer, 1)
            await dead.ack()
        assert dead.body == b'{"bad": true}'
        assert dead.headers[DEATH_REASON_HEADER] == "未知的 schema_version 9"
        assert dead.headers["schema_version"] == "9"
        assert (dead.message_id, dead.routing_key) == ("m-9", "checkin.decided.130100")
        assert await broker.queue_depth(names.queue) == 0

    async def test_nack_without_requeue_dead_letters_through_the_broker(self, broker: Broker, names: Names) -> None:
        await broker.publish(names.events, "checkin.decided.130100", b"rejected")
        async with broker.consume(names.queue) as consumer:
            [delivery] = await take(consumer, 1)
            await delivery.nack(requeue=False)
        async with broker.consume(names.dead_queue) as consumer:
            [dead] = await take(consumer, 1)
            await dead.ack()
        assert dead.body == b"rejected"
        assert dead.headers["x-first-death-reason"] == "rejected"
        assert dead.headers["x-first-death-queue"] == names.queue

    async def test_a_queue_without_dead_letter_exchange_cannot_dead_letter(self, broker: Broker, names: Names) -> None:
        await broker.publish(names.events, "checkin.created.130100", b"{}")
        async with broker.consume(names.narrow) as consumer:
            [delivery] = await take(consumer, 1)
            with pytest.raises(NotDeclaredError):
                await delivery.dead_letter("no way")
            assert not delivery.settled
            await delivery.ack()


@pytest.mark.real
async def test_an_exchange_deleted_behind_the_brokers_back_fails_a_publish_then_is_not_declared(names: Names) -> None:
    if AMQP_URL is None:
        pytest.skip("LIANFANG_TEST_AMQP_URL is not set")
    broker = connect_broker(AMQP_URL, timeout=5)
    try:
        await broker.declare(names.topology)
        await broker.publish(names.events, "checkin.created.130100", b"{}")
        await _delete_from_rabbitmq(AMQP_URL, names.topology)

        with pytest.raises(BrokerUnavailable):
            await broker.publish(names.events, "checkin.created.130100", b"{}")
        with pytest.raises(NotDeclaredError):
            await broker.publish(names.events, "checkin.created.130100", b"{}")
    finally:
        await broker.close()


class TestAvailability:
    async def test_a_closed_broker_is_unavailable(self, broker: Broker, names: Names) -> None:
        await broker.ping()
        await broker.close()
        with pytest.raises(BrokerUnavailable):
            await broker.ping()
        with pytest.raises(BrokerUnavailable):
            await broker.publish(names.events, "checkin.created.130100", b"{}")

    async def test_closing_the_broker_ends_its_consumers(self, broker: Broker, names: Names) -> None:
        async with broker.consume(names.queue) as consumer:
            await broker.close()
            assert [delivery async for delivery in consumer] == []

    async def test_unreachable_rabbitmq_answers_503_promptly(self) -> None:
        broker = connect_broker("amqp://guest:guest@127.0.0.1:1/", timeout=1)
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable) as caught:
            await broker.publish(CHECKINS_EXCHANGE, "checkin.created.130100", b"{}")
        with pytest.raises(BrokerUnavailable):
            await broker.publish_many(CHECKINS_EXCHANGE, [OutgoingMessage("checkin.created.130100", b"{}")])
        with pytest.raises(BrokerUnavailable):
            await broker.ping()
        assert time.monotonic() - started < 2
        assert caught.value.status == 503
        assert caught.value.headers["Retry-After"] == "5"
        await broker.close()

    async def test_a_call_cancelled_while_connecting_leaves_no_connection_behind(self) -> None:
        hung_up = asyncio.Event()

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Accepts and never answers, so the connect is still waiting when the call is cancelled.
            await reader.read()
            hung_up.set()
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        broker = connect_broker(f"amqp://guest:guest@127.0.0.1:{port}/", timeout=5)
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await broker.ping()
            async with asyncio.timeout(1):
                await hung_up.wait()
        finally:
            await broker.close()
            server.close()


class TestJournal:
    """The all-in-one server's broker keeps what it confirmed on disk (`memory://…?journal=`): a process killed without
    a word and started again delivers every message nobody settled, and nothing that was acked or dead-lettered."""

    async def test_what_was_confirmed_and_not_settled_comes_back_in_the_next_process(
        self, tmp_path: Path, names: Names
    ) -> None:
        killed = connect_broker(journaled(tmp_path))
        await killed.declare(names.topology)
        await killed.publish_many(
            names.events,
            [OutgoingMessage("checkin.created.130100", str(n).encode(), message_id=f"m-{n}") for n in range(5)],
        )
        async with killed.consume(names.queue, prefetch=10) as consumer:
            first, second, third, _, _ = await take(consumer, 5)
            await second.ack(multiple=True)
            await third.dead_letter("unreadable")
            # The process dies here: the two deliveries it holds were never settled.
            again = connect_broker(journaled(tmp_path))
            await again.declare(names.topology)
        assert first.settled
        assert await again.queue_depth(names.queue) == 2
        async with again.consume(names.queue, prefetch=10) as consumer:
            back = await take(consumer, 2)
            await back[-1].ack(multiple=True)
        assert [(delivery.message_id, delivery.body, delivery.redelivered) for delivery in back] == [
            ("m-3", b"3", True),
            ("m-4", b"4", True),
        ]
        async with again.consume(names.dead_queue) as consumer:
            [dead] = await take(consumer, 1)
            await dead.ack()
        assert (dead.message_id, dead.headers[DEATH_REASON_HEADER]) == ("m-2", "unreadable")
        third_life = connect_broker(journaled(tmp_path))
        await third_life.declare(names.topology)
        assert (await third_life.queue_depth(names.queue), await third_life.queue_depth(names.dead_queue)) == (0, 0)

    async def test_a_message_without_a_durable_queue_is_not_kept(self, tmp_path: Path) -> None:
        topology = Topology(
            exchanges=(Exchange("passing", ExchangeType.fanout),),
            queues=(Queue("passing.live", durable=False),),
            bindings=(Binding("passing", "passing.live"),),
        )
        killed = connect_broker(journaled(tmp_path))
        await killed.declare(topology)
        await killed.publish("passing", "", b"live only")
        again = connect_broker(journaled(tmp_path))
        await again.declare(topology)
        assert (await killed.queue_depth("passing.live"), await again.queue_depth("passing.live")) == (1, 0)


class TestConnectBroker:
    async def test_memory_brokers_with_the_same_name_are_shared(self) -> None:
        name = f"memory://test-{uuid.uuid4().hex}"
        first, second = connect_broker(name), connect_broker(name)
        await first.declare(LIANFANG_TOPOLOGY)
        await second.publish(CHECKINS_EXCHANGE, "checkin.created.130100", b"{}")
        assert await first.queue_depth(INGEST_QUEUE) == 1
        await first.close()
        assert await second.queue_depth(INGEST_QUEUE) == 1
        with pytest.raises(NotDeclaredError):
            await connect_broker(f"memory://test-{uuid.uuid4().hex}").queue_depth(INGEST_QUEUE)

    async def test_the_lianfang_topology_dead_letters_checkins_into_ingest_dead(self) -> None:
        broker = connect_broker(f"memory://test-{uuid.uuid4().hex}")
        await broker.declare(LIANFANG_TOPOLOGY)
        await broker.publish(CHECKINS_EXCHANGE, "checkin.decided.130100", b"{}")
        async with broker.consume(INGEST_QUEUE) as consumer:
            [delivery] = await take(consumer, 1)
            await delivery.dead_letter("unreadable")
        assert await broker.queue_depth(DEAD_LETTER_QUEUE) == 1

    def test_an_unknown_scheme_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unsupported broker URL"):
            connect_broker("kafka://localhost:9092")
