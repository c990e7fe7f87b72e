"""The confirm channel's bookkeeping, fed the frames RabbitMQ sends (the real broker is exercised in test_messaging)."""

from __future__ import annotations

import asyncio

import pytest
from pamqp import commands, frame

from lianfang.common.messaging import BrokerUnavailable
from lianfang.common.messaging.confirms import ClosedByBroker, ConfirmChannel, ConfirmingPublisher, publish_frames


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def _link(confirm_seconds: float = 5.0) -> tuple[ConfirmChannel, _Transport, list[ConfirmChannel]]:
    lost: list[ConfirmChannel] = []
    link = ConfirmChannel(lost.append, confirm_seconds=confirm_seconds)
    transport = _Transport()
    link.connection_made(transport)
    return link, transport, lost


def _publish(link: ConfirmChannel, number: int) -> asyncio.Future[None]:
    return link.publish(publish_frames("lianfang.checkins", "checkin.created.1301", b"{}", None, str(number), 131_072))


async def test_the_publishes_of_one_loop_turn_leave_in_one_write() -> None:
    link, transport, _ = _link()
    for number in range(5):
        _publish(link, number)
    await asyncio.sleep(0)
    assert len(transport.written) == 1
    assert transport.written[0].count(b"checkin.created.1301") == 5


async def test_a_multiple_ack_confirms_every_publish_up_to_its_tag() -> None:
    link, _, _ = _link()
    waiting = [_publish(link, number) for number in range(4)]
    link.data_received(frame.marshal(commands.Basic.Ack(delivery_tag=3, multiple=True), 1))
    assert [future.done() for future in waiting] == [True, True, True, False]
    link.data_received(frame.marshal(commands.Basic.Ack(delivery_tag=4), 1))
    assert all(future.done() and future.exception() is None for future in waiting)


async def test_a_nacked_message_fails_its_publish_alone() -> None:
    link, _, _ = _link()
    first, second = _publish(link, 1), _publish(link, 2)
    link.data_received(frame.marshal(commands.Basic.Nack(delivery_tag=1), 1))
    assert isinstance(first.exception(), BrokerUnavailable)
    assert not second.done()


async def test_frames_split_across_reads_are_put_back_together() -> None:
    link, _, _ = _link()
    waiting = _publish(link, 1)
    wire = frame.marshal(commands.Basic.Ack(delivery_tag=1), 1)
    link.data_received(wire[:5])
    assert not waiting.done()
    link.data_received(wire[5:])
    assert waiting.done()


async def test_a_blocked_connection_refuses_publishes_at_once_until_unblocked() -> None:
    link, _, _ = _link()
    link.data_received(frame.marshal(commands.Connection.Blocked(reason="low on memory"), 0))
    with pytest.raises(BrokerUnavailable, match="low on memory"):
        _publish(link, 1)
    link.data_received(frame.marshal(commands.Connection.Unblocked(), 0))
    assert not _publish(link, 2).done()


async def test_a_lost_connection_fails_every_unconfirmed_publish_and_the_link() -> None:
    link, transport, lost = _link()
    waiting = [_publish(link, number) for number in range(3)]
    link.connection_lost(ConnectionResetError())
    assert all(isinstance(future.exception(), BrokerUnavailable) for future in waiting)
    assert lost == [link]
    assert transport.closed
    with pytest.raises(BrokerUnavailable):
        _publish(link, 4)


async def test_the_broker_closing_the_channel_ends_the_link_with_its_reason() -> None:
    link, _, lost = _link()
    waiting = _publish(link, 1)
    closing = commands.Channel.Close(reply_code=404, reply_text="NOT_FOUND - no exchange", class_id=60, method_id=40)
    link.data_received(frame.marshal(closing, 1))
    error = waiting.exception()
    assert isinstance(error, BrokerUnavailable)
    assert "404" in (error.detail or "")
    assert isinstance(error, ClosedByBroker)
    assert error.reply_code == 404
    assert lost == [link]


async def test_a_publish_left_unconfirmed_fails_alone_after_its_time() -> None:
    link, transport, lost = _link(confirm_seconds=0.1)
    early = _publish(link, 1)
    await asyncio.sleep(0.06)
    late = _publish(link, 2)
    await asyncio.sleep(0.06)

    assert isinstance(early.exception(), BrokerUnavailable)
    assert not late.done()
    link.data_received(frame.marshal(commands.Basic.Ack(delivery_tag=2), 1))
    assert late.done()
    assert late.exception() is None
    assert lost == []
    assert not transport.closed


@pytest.mark.parametrize(
    ("query", "named"),
    [("heartbeat=10", "heartbeat"), ("cafile=/ca.pem&no_verify_ssl=1", "cafile, no_verify_ssl"), ("x", "x")],
)
def test_url_options_the_confirm_channel_would_ignore_are_refused(query: str, named: str) -> None:
    with pytest.raises(ValueError, match=f"options are not supported by the confirm channel, remove: {named}$"):
        ConfirmingPublisher(f"amqps://guest:secret@rabbitmq:5671/lianfang?{query}")


def test_a_url_without_options_is_taken() -> None:
    ConfirmingPublisher("amqps://guest:secret@rabbitmq:5671/lianfang")


async def test_a_connection_name_goes_to_rabbitmq_in_the_handshake() -> None:
    """`?name=` names the connection in RabbitMQ's lists, as aio-pika does for the consumers sharing the URL."""
    ConfirmingPublisher("amqp://guest:guest@rabbitmq/lianfang?name=worker-7")  # taken, not refused
    link, transport, _ = _link()
    opening = asyncio.ensure_future(link.open("guest", "guest", "/", name="worker-7"))
    await asyncio.sleep(0)
    link.data_received(frame.marshal(commands.Connection.Start(), 0))
    for _ in range(3):  # the reply to Start leaves at the end of a loop turn, after the protocol header
        await asyncio.sleep(0)
    start_ok = transport.written[1]
    _, _, reply = frame.unmarshal(start_ok)
    assert isinstance(reply, commands.Connection.StartOk)
    assert reply.client_properties["connection_name"] == "worker-7"
    opening.cancel()
