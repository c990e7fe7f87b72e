"""RabbitMQ: declarations and consumers through aio-pika on one robust connection (a channel per consumer); publishes
on a confirm channel of their own (`confirms.ConfirmingPublisher`), many in flight at once, each waiting only for its
own confirm, so concurrent requests do not queue behind each other's round trip."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustQueue,
    HeadersType,
)
from aio_pika.connection import make_url
from aio_pika.exceptions import (
    CONNECTION_EXCEPTIONS,
    AMQPError,
    ChannelInvalidStateError,
    ChannelNotFoundEntity,
    ChannelPreconditionFailed,
)
from pamqp.exceptions import AMQPNotFound

from lianfang.common.messaging.confirms import ClosedByBroker, ConfirmingPublisher
from lianfang.common.messaging.protocol import (
    BrokerUnavailable,
    Consumer,
    Delivery,
    Headers,
    NotDeclaredError,
    OutgoingMessage,
)
from lianfang.common.messaging.topology import Queue, Topology

__all__ = ["RabbitMQBroker"]

# OSError covers refused connections and TimeoutError.
_UNAVAILABLE = (AMQPError, ChannelInvalidStateError, OSError)
# After a failed connection attempt, calls fail at once for this long instead of each waiting on an attempt of its own.
_RECONNECT_PAUSE = 1.0


class RabbitMQBroker:
    """Connects on first use, so a service starts while RabbitMQ is down and answers 503 until it is back."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self._url = url
        self._timeout = timeout
        self._lock = asyncio.Lock()
        self._connection: AbstractRobustConnection | None = None
        self._publisher = ConfirmingPublisher(url, timeout=timeout)
        self._exchanges: set[str] = set()
        self._queues: dict[str, Queue] = {}
        self._consumers: set[_RabbitConsumer] = set()
        self._retry_at = 0.0
        self._closed = False

    async def declare(self, topology: Topology) -> None:
        async with self._probe() as channel:
            for exchange in topology.exchanges:
                await channel.declare_exchange(exchange.name, exchange.type.value, durable=exchange.durable)
            for queue in topology.queues:
                await channel.declare_queue(queue.name, durable=queue.durable, arguments=_queue_arguments(queue))
            for binding in topology.bindings:
                declared = await channel.get_queue(binding.queue, ensure=False)
                await declared.bind(binding.exchange, binding.routing_key)
        self._exchanges.update(exchange.name for exchange in topology.exchanges)
        self._queues.update((queue.name, queue) for queue in topology.queues)

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        headers: Headers | None = None,
        message_id: str | None = None,
    ) -> None:
        await self._check_exchange(exchange)
        await self._send(exchange, OutgoingMessage(routing_key, body, headers, message_id))

    async def publish_many(self, exchange: str, messages: Iterable[OutgoingMessage]) -> None:
        batch = list(messages)
        if not batch:
            return
        await self._check_exchange(exchange)
        results = await asyncio.gather(*(self._send(exchange, message) for message in batch), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    @asynccontextmanager
    async def consume(self, queue: str, *, prefetch: int = 100) -> AsyncIterator[Consumer]:
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        async with self._probe() as probe:
            await probe.declare_queue(queue, passive=True)
        connection = await self._open()
        channel = connection.channel(publisher_confirms=False)
        consumer = _RabbitConsumer(self, queue, self._queues.get(queue), channel, timeout=self._timeout)
        self._consumers.add(consumer)
        try:
            await consumer.start(prefetch)
            yield consumer
        finally:
            self._consumers.discard(consumer)
            await consumer._shutdown()

    async def queue_depth(self, queue: str) -> int:
        async with self._probe() as channel:
            declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0

    async def ping(self) -> None:
        await self._open()

    async def close(self) -> None:
        self._closed = True
        for consumer in list(self._consumers):
            await consumer._shutdown()
        self._consumers.clear()
        connection, self._connection = self._connection, None
        try:
            await self._publisher.close()
        finally:
            # Left open, aio-pika's connection would try to close itself when collected, outside any event loop.
            if connection is not None:
                await connection.close()

    async def _open(self) -> AbstractRobustConnection:
        if self._closed:
            raise BrokerUnavailable("消息服务连接已关闭")
        if self._connection is None:
            async with self._lock:
                if self._connection is None:
                    await self._connect()
        connection = self._connection
        # While the robust connection reconnects, fail now rather than hold the request until it is back.
        if connection is None or not connection.connected.is_set():
            raise BrokerUnavailable()
        return connection

    async def _connect(self) -> None:
        if time.monotonic() < self._retry_at:
            raise BrokerUnavailable()
        connection = aio_pika.RobustConnection(make_url(self._url))
        try:
            await connection.connect(timeout=self._timeout)
        except CONNECTION_EXCEPTIONS as exc:
            # Left unclosed, aio-pika's connection schedules its own close when collected, and cannot in a thread
            # without an event loop (a collection may run in any thread): "coroutine ... was never awaited".
            await connection.close()
            self._retry_at = time.monotonic() + _RECONNECT_PAUSE
            raise BrokerUnavailable() from exc
        except asyncio.CancelledError:
            # Its connecting task outlives the cancelled caller: it would go on connecting, and reconnecting, for no one.
            await connection.close()
            raise
        if self._closed:
            await connection.close()
            raise BrokerUnavailable("消息服务连接已关闭")
        self._connection = connection

    @asynccontextmanager
    async def _probe(self) -> AsyncIterator[AbstractChannel]:
        """A plain channel for declarations and passive checks.

        The broker closes a channel that asks for a missing entity; a robust channel would then reopen itself, and a
        publish channel would lose every publish in flight with it.
        """
        connection = await self._open()
        channel = aio_pika.Channel(connection, publisher_confirms=False)
        try:
            async with asyncio.timeout(self._timeout):
                await channel.initialize()
                yield channel
        except ChannelNotFoundEntity as exc:
            raise NotDeclaredError(str(exc)) from exc
        except ChannelPreconditionFailed as exc:
            raise ValueError(f"declared differently before: {exc}") from exc
        except _UNAVAILABLE as exc:
            raise BrokerUnavailable() from exc
        finally:
            if not channel.is_closed:
                with suppress(*_UNAVAILABLE):
                    await channel.close()

    async def _check_exchange(self, name: str) -> None:
        if name in self._exchanges:
            return
        async with self._probe() as channel:
            await channel.declare_exchange(name, passive=True)
        self._exchanges.add(name)

    async def _send(self, exchange: str, message: OutgoingMessage) -> None:
        try:
            await self._publisher.publish(
                exchange, message.routing_key, message.body, headers=message.headers, message_id=message.message_id
            )
        except ClosedByBroker as exc:
            if exc.reply_code == AMQPNotFound.value:
                # Deleted behind our back: the next publish checks again and raises `NotDeclaredError`.
                self._exchanges.discard(exchange)
            raise


def _queue_arguments(queue: Queue) -> HeadersType:
    arguments: HeadersType = {}
    if queue.dead_letter_exchange is not None:
        arguments["x-dead-letter-exchange"] = queue.dead_letter_exchange
    if queue.dead_letter_routing_key is not None:
        arguments["x-dead-letter-routing-key"] = queue.dead_letter_routing_key
    return arguments


class _RabbitConsumer(Consumer):
    def __init__(
        self, broker: RabbitMQBroker, queue: str, spec: Queue | None, channel: AbstractRobustChannel, *, timeout: float
    ) -> None:
        super().__init__(broker, queue, spec=spec)
        self._channel = channel
        self._timeout = timeout
        self._declared: AbstractRobustQueue | None = None
        self._tag: str | None = None

    async def start(self, prefetch: int) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._channel.initialize()
                await self._channel.set_qos(prefetch_count=prefetch)
                # Declared through the robust channel so that a reconnect restores the consumer.
                self._declared = await self._channel.declare_queue(self.queue, passive=True)
                self._tag = await self._declared.consume(self._on_message)
        except _UNAVAILABLE as exc:
            raise BrokerUnavailable() from exc

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._deliver(_RabbitDelivery(self, message))

    async def _cancel(self) -> None:
        if self._declared is None or self._tag is None:
            return
        with suppress(*_UNAVAILABLE):
            async with asyncio.timeout(self._timeout):
                await self._declared.cancel(self._tag)

    async def _close(self, pending: list[Delivery]) -> None:
        # Closing the channel is what hands the unsettled deliveries back to the queue.
        with suppress(*_UNAVAILABLE):
            async with asyncio.timeout(self._timeout):
                await self._channel.close()


class _RabbitDelivery(Delivery):
    def __init__(self, consumer: _RabbitConsumer, message: AbstractIncomingMessage) -> None:
        super().__init__(
            consumer,
            body=message.body,
            headers=dict(message.headers),
            exchange=message.exchange or "",
            routing_key=message.routing_key or "",
            message_id=message.message_id,
            redelivered=bool(message.redelivered),
        )
        self._message = message

    async def _ack(self, settled: list[Delivery], *, multiple: bool) -> None:
        try:
            await self._message.ack(multiple=multiple)
        except _UNAVAILABLE as exc:
            raise BrokerUnavailable() from exc

    async def _nack(self, *, requeue: bool) -> None:
        try:
            await self._message.reject(requeue=requeue)
        except _UNAVAILABLE as exc:
            raise BrokerUnavailable() from exc
