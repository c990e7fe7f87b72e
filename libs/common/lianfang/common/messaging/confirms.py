"""Publishing with publisher confirms on a connection of its own, every publish of an event-loop turn in one write.

aio-pika writes each publish to the socket on its own and waits for the write to drain: at check-in rates that is a
system call and a wake-up of its writer task per message, a third of the check-in service's CPU. Here a publish only
appends its frames to a buffer; the buffer goes out in one write when the loop turn ends, and the broker's confirms
(often one `multiple` ack for many messages) resolve the waiting publishes. Only the hot frames — Basic.Publish, its
content, Basic.Ack and Basic.Nack — are encoded and decoded by hand; the handshake and the rare frames use pamqp.

A publish returns once RabbitMQ confirmed the message and raises `BrokerUnavailable` when it was refused or the
connection was lost before the confirm: the caller may retry (the message may have arrived: delivery is at least once).
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import struct
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from pamqp import base, commands, encode, frame, heartbeat

from lianfang.common.loopbatch import LoopBatch
from lianfang.common.messaging.protocol import BrokerUnavailable, Headers

__all__ = ["ClosedByBroker", "ConfirmChannel", "ConfirmingPublisher", "publish_frames"]

_Reply = TypeVar("_Reply", bound=base.Frame)

_PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
_FRAME_END = b"\xce"
_METHOD, _HEADER, _BODY, _HEARTBEAT = 1, 2, 3, 8
_BASIC_ACK = (60, 80)
_BASIC_NACK = (60, 120)
_CHANNEL = 1
_HEARTBEAT_SECONDS = 30
_RECONNECT_PAUSE = 1.0
# Property flags of the content header: content-type, headers, delivery-mode, message-id.
_CONTENT_TYPE, _HEADERS, _DELIVERY_MODE, _MESSAGE_ID = 1 << 15, 1 << 13, 1 << 12, 1 << 7
_JSON = b"\x10application/json"
_PERSISTENT = b"\x02"


def _shortstr(value: str) -> bytes:
    encoded = value.encode()
    if len(encoded) > 255:
        raise ValueError(f"AMQP short string longer than 255 bytes: {value[:40]!r}…")
    return bytes((len(encoded),)) + encoded


def _frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BHI", kind, _CHANNEL, len(payload)) + payload + _FRAME_END


def publish_frames(
    exchange: str, routing_key: str, body: bytes, headers: Headers | None, message_id: str | None, frame_max: int
) -> bytes:
    """Basic.Publish, the content header of a persistent JSON message and the body, as the bytes on the wire."""
    method = b"\x00\x3c\x00\x28\x00\x00" + _shortstr(exchange) + _shortstr(routing_key) + b"\x00"
    flags = _CONTENT_TYPE | _DELIVERY_MODE
    properties = [_JSON]
    if headers:
        flags |= _HEADERS
        properties.append(encode.field_table(dict(headers)))  # type: ignore[arg-type]  # AMQP field values
    properties.append(_PERSISTENT)
    if message_id is not None:
        flags |= _MESSAGE_ID
        properties.append(_shortstr(message_id))
    content = struct.pack(">HHQH", 60, 0, len(body), flags) + b"".join(properties)
    chunk = frame_max - 8  # the frame's own header and end
    parts = [_frame(_METHOD, method), _frame(_HEADER, content)]
    parts += [_frame(_BODY, body[start : start + chunk]) for start in range(0, len(body), chunk)]
    return b"".join(parts)


@dataclass(slots=True)
class _Unconfirmed:
    future: asyncio.Future[None]
    deadline: float


class ClosedByBroker(BrokerUnavailable):
    """RabbitMQ closed the channel or the connection; `reply_code` says why (pamqp.exceptions.CLASS_MAPPING names each
    code: `AMQPNotFound`, 404, for a publish to an exchange that is gone)."""

    def __init__(self, reply_code: int | None, reply_text: str | None) -> None:
        super().__init__(f"消息服务关闭了连接：{reply_code} {reply_text}")
        self.reply_code = reply_code


def _unconfirmed_in_time() -> BrokerUnavailable:
    return BrokerUnavailable("消息服务未及时确认")


class ConfirmChannel(asyncio.Protocol):
    """One AMQP connection with one confirm channel: the handshake, the write buffer and the confirms awaited.

    A publish not confirmed within `confirm_seconds` fails alone (the connection stays). The writes of a loop turn and
    the confirms' deadlines are kept by a `LoopBatch`, its waiters by delivery tag."""

    def __init__(self, on_lost: Callable[[ConfirmChannel], None], *, confirm_seconds: float = 5.0) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_lost = on_lost
        self._batch: LoopBatch[_Unconfirmed, BrokerUnavailable] = LoopBatch(
            self._loop,
            timeout=confirm_seconds,
            late=_unconfirmed_in_time,
            late_breaks_connection=False,
        )
        self._buffer = bytearray()
        self._replies: asyncio.Queue[base.Frame | BrokerUnavailable] = asyncio.Queue()
        self._tag = 0
        self._heartbeat: asyncio.Task[None] | None = None
        self._last_heard = time.monotonic()
        self.frame_max = 131_072
        self.blocked: str | None = None

    @property
    def failure(self) -> BrokerUnavailable | None:
        """Why the connection is done, once it is."""
        return self._batch.failure

    # The connection: handshake, close, loss.

    async def open(self, user: str, password: str, vhost: str, *, name: str | None = None) -> None:
        """`name` is shown as the connection's name by RabbitMQ (as aio-pika's `?name=` option does)."""
        self._batch.write(_PROTOCOL_HEADER)
        await self._expect(commands.Connection.Start)
        properties: dict[str, Any] = {
            "product": "lianfang",
            "capabilities": {"publisher_confirms": True, "connection.blocked": True},
        }
        if name:
            properties["connection_name"] = name
        self._send(
            0,
            commands.Connection.StartOk(
                client_properties=properties,
                mechanism="PLAIN",
                response=f"\0{user}\0{password}",
            ),
        )
        tune = await self._expect(commands.Connection.Tune)
        self.frame_max = tune.frame_max or self.frame_max
        beat = min(tune.heartbeat, _HEARTBEAT_SECONDS) if tune.heartbeat else _HEARTBEAT_SECONDS
        self._send(
            0, commands.Connection.TuneOk(channel_max=tune.channel_max, frame_max=self.frame_max, heartbeat=beat)
        )
        self._send(0, commands.Connection.Open(virtual_host=vhost))
        await self._expect(commands.Connection.OpenOk)
        self._send(_CHANNEL, commands.Channel.Open())
        await self._expect(commands.Channel.OpenOk)
        self._send(_CHANNEL, commands.Confirm.Select())
        await self._expect(commands.Confirm.SelectOk)
        self._heartbeat = asyncio.create_task(self._beat(beat), name="amqp-publisher-heartbeat")

    async def close(self) -> None:
        """Closes the connection politely; the caller bounds the wait for the broker's CloseOk."""
        if self._batch.transport is None or self.failure is not None:
            return
        try:
            self._send(0, commands.Connection.Close(reply_code=200, reply_text="closing", class_id=0, method_id=0))
            await self._expect(commands.Connection.CloseOk)
        finally:
            self._fail(BrokerUnavailable("消息服务连接已关闭"))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self._batch.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(BrokerUnavailable("与消息服务的连接已断开"))

    def _fail(self, failure: BrokerUnavailable) -> None:
        if not self._batch.fail(failure):
            return
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self._replies.put_nowait(failure)
        self._on_lost(self)

    async def _beat(self, seconds: int) -> None:
        """Sends a heartbeat every half period and gives up on a broker silent for two."""
        while True:
            await asyncio.sleep(seconds / 2)
            if time.monotonic() - self._last_heard > 2 * seconds:
                self._fail(BrokerUnavailable("消息服务无响应"))
                return
            self._batch.write(frame.marshal(heartbeat.Heartbeat(), 0))

    # Publishing.

    def publish(self, frames: bytes) -> asyncio.Future[None]:
        if self.failure is not None:
            raise self.failure
        if self.blocked is not None:
            # RabbitMQ holds the publishes of a blocked connection until it has room again: answer now instead.
            raise BrokerUnavailable(f"消息服务暂停接收（{self.blocked}）")
        self._tag += 1
        batch = self._batch
        confirmed = _Unconfirmed(self._loop.create_future(), batch.deadline())
        batch.submit(self._tag, confirmed, frames)
        return confirmed.future

    def _send(self, channel: int, method: base.Frame) -> None:
        self._batch.write(frame.marshal(method, channel))

    # Reading.

    def data_received(self, data: bytes) -> None:
        self._last_heard = time.monotonic()
        buffer = self._buffer
        buffer += data
        position = 0
        while len(buffer) - position >= 7:
            kind, channel, size = struct.unpack_from(">BHI", buffer, position)
            end = position + 7 + size
            if len(buffer) < end + 1:
                break
            if kind == _METHOD:
                self._method(channel, buffer, position, end + 1)
            position = end + 1
        del buffer[:position]

    def _method(self, channel: int, buffer: bytearray, start: int, stop: int) -> None:
        ids = struct.unpack_from(">HH", buffer, start + 7)
        if ids in (_BASIC_ACK, _BASIC_NACK):
            tag, bits = struct.unpack_from(">QB", buffer, start + 11)
            self._confirm(tag, multiple=bool(bits & 1), accepted=ids == _BASIC_ACK)
            return
        _, _, method = frame.unmarshal(bytes(buffer[start:stop]))
        if isinstance(method, commands.Connection.Close | commands.Channel.Close):
            # An error of ours (a missing exchange) or the broker going away: either way this link is done.
            self._batch.write(frame.marshal(commands.Connection.CloseOk(), 0))
            self._batch.flush()
            self._fail(ClosedByBroker(method.reply_code, method.reply_text))
        elif isinstance(method, commands.Connection.Blocked):
            self.blocked = method.reason or "资源不足"
        elif isinstance(method, commands.Connection.Unblocked):
            self.blocked = None
        elif isinstance(method, base.Frame):
            self._replies.put_nowait(method)

    def _confirm(self, tag: int, *, multiple: bool, accepted: bool) -> None:
        unconfirmed = self._batch.waiting
        tags = [tag]
        if multiple:
            # Tags are in the order they were given: those up to this one lead.
            tags = list(itertools.takewhile(lambda waiting: waiting <= tag, unconfirmed))
        for confirmed_tag in tags:
            publish = unconfirmed.pop(confirmed_tag, None)
            if publish is None or publish.future.done():
                continue
            if accepted:
                publish.future.set_result(None)
            else:
                publish.future.set_exception(BrokerUnavailable("消息服务未能保存该消息"))

    async def _expect(self, kind: type[_Reply]) -> _Reply:
        reply = await self._replies.get()
        if isinstance(reply, BrokerUnavailable):
            raise reply
        if not isinstance(reply, kind):
            raise BrokerUnavailable(f"消息服务的应答不符合协议：期待 {kind.__name__}，收到 {reply.name}")
        return reply


class ConfirmingPublisher:
    """Connects on first use, again after a loss (at most once a second), and publishes persistent messages."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        # The connection's name, as aio-pika's consumers take it; the rest of aio-pika's options (heartbeat, TLS
        # files) this connection would ignore silently.
        self._name = options.pop("name", None)
        if options:
            ignored = ", ".join(name for name, _ in parse_qsl(parts.query, keep_blank_values=True) if name in options)
            raise ValueError(f"the RabbitMQ URL's options are not supported by the confirm channel, remove: {ignored}")
        self._host = parts.hostname or "localhost"
        self._tls = parts.scheme == "amqps"
        self._port = parts.port or (5671 if self._tls else 5672)
        self._user = unquote(parts.username or "guest")
        self._password = unquote(parts.password or "guest")
        self._vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        self._timeout = timeout
        self._link: ConfirmChannel | None = None
        self._connecting = asyncio.Lock()
        self._retry_at = 0.0
        self._closed = False

    async def publish(
        self, exchange: str, routing_key: str, body: bytes, *, headers: Headers | None, message_id: str | None
    ) -> None:
        link = self._link if self._link is not None else await self._connect()
        await link.publish(publish_frames(exchange, routing_key, body, headers, message_id, link.frame_max))

    async def close(self) -> None:
        self._closed = True
        link, self._link = self._link, None
        if link is not None:
            with suppress(TimeoutError, BrokerUnavailable):
                async with asyncio.timeout(self._timeout):
                    await link.close()

    async def _connect(self) -> ConfirmChannel:
        async with self._connecting:
            if self._link is not None:
                return self._link
            if self._closed:
                raise BrokerUnavailable("消息服务连接已关闭")
            if time.monotonic() < self._retry_at:
                raise BrokerUnavailable()
            link = ConfirmChannel(self._forget, confirm_seconds=self._timeout)
            try:
                async with asyncio.timeout(self._timeout):
                    await asyncio.get_running_loop().create_connection(
                        lambda: link, self._host, self._port, ssl=ssl.create_default_context() if self._tls else None
                    )
                    await link.open(self._user, self._password, self._vhost, name=self._name)
            except (OSError, BrokerUnavailable) as error:
                self._retry_at = time.monotonic() + _RECONNECT_PAUSE
                link.connection_lost(None)
                raise BrokerUnavailable() from error
            self._link = link
            return link

    def _forget(self, link: ConfirmChannel) -> None:
        if self._link is link:
            self._link = None
            self._retry_at = time.monotonic() + _RECONNECT_PAUSE
