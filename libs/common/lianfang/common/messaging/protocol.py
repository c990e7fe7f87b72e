"""The broker every service talks to, whichever backend the URL picked.

Delivery is at least once: a publish that raised may still have reached the queue, and a delivery that was not acked
comes back. Consumers therefore store idempotently.
"""

from __future__ import annotations

import asyncio
import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from lianfang.common.errors import ServiceUnavailable
from lianfang.common.messaging.topology import Queue, Topology

__all__ = [
    "DEATH_REASON_HEADER",
    "AlreadySettledError",
    "Broker",
    "BrokerUnavailable",
    "Consumer",
    "Delivery",
    "Headers",
    "NotDeclaredError",
    "OutgoingMessage",
]

DEATH_REASON_HEADER = "x-death-reason"

# AMQP field values: str, int, float, bool, bytes, datetime, and lists and mappings of them.
Headers = Mapping[str, object]


class BrokerUnavailable(ServiceUnavailable):
    code = "broker_unavailable"
    title = "消息服务暂不可用，请稍后重试"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **kwargs: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **kwargs)


class NotDeclaredError(LookupError):
    """An exchange or queue nobody declared: a deployment or programming error, not a passing outage."""


class AlreadySettledError(RuntimeError):
    """The delivery was acked, nacked or dead-lettered before, or its consumer closed and gave it back to the queue."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    routing_key: str
    body: bytes
    headers: Headers | None = None
    message_id: str | None = None


class Broker(Protocol):
    async def declare(self, topology: Topology) -> None:
        """Create what is missing; idempotent. Call once at start-up, never per publish."""

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        headers: Headers | None = None,
        message_id: str | None = None,
    ) -> None:
        """Return once the broker confirmed the persistent message; raise `BrokerUnavailable` otherwise.

        A message no binding matches is dropped, as RabbitMQ does; an undeclared exchange raises `NotDeclaredError`.
        """

    async def publish_many(self, exchange: str, messages: Iterable[OutgoingMessage]) -> None:
        """Publish concurrently and return once every message is confirmed.

        On `BrokerUnavailable` some of the messages may have been confirmed: retry them all.
        """

    def consume(self, queue: str, *, prefetch: int = 100) -> AbstractAsyncContextManager[Consumer]:
        """At most `prefetch` deliveries are unsettled at a time; leaving the block gives the unsettled ones back."""

    async def queue_depth(self, queue: str) -> int:
        """Messages ready in the queue, not counting those delivered and not yet settled."""

    async def ping(self) -> None:
        """Raise `BrokerUnavailable` unless the broker is reachable."""

    async def close(self) -> None: ...


class Consumer(ABC):
    """Deliveries of one queue in order: iterate them one by one, or take them in batches with `batch`."""

    def __init__(self, broker: Broker, queue: str, *, spec: Queue | None) -> None:
        self.queue = queue
        self._broker = broker
        self._spec = spec
        self._buffer: asyncio.Queue[Delivery | None] = asyncio.Queue()
        # Insertion-ordered, so `ack(multiple=True)` knows which deliveries came before.
        self._unsettled: dict[Delivery, None] = {}
        self._stopped = False
        self._closed = False

    @property
    def in_flight(self) -> int:
        return len(self._unsettled)

    @property
    def unsettled(self) -> list[Delivery]:
        """The deliveries received and neither acked nor rejected yet, in the order they came."""
        return list(self._unsettled)

    def __aiter__(self) -> Consumer:
        return self

    async def __anext__(self) -> Delivery:
        delivery = await self._next()
        if delivery is None:
            raise StopAsyncIteration
        return delivery

    async def batch(self, max_size: int, max_wait: float) -> list[Delivery]:
        """Wait for one delivery, then take more for at most `max_wait` seconds; empty once the consumer stopped."""
        first = await self._next()
        if first is None:
            return []
        batch = [first]
        deadline = asyncio.get_running_loop().time() + max_wait
        while len(batch) < max_size:
            try:
                async with asyncio.timeout_at(deadline):
                    delivery = await self._next()
            except TimeoutError:
                break
            if delivery is None:
                break
            batch.append(delivery)
        return batch

    async def stop(self) -> None:
        """Ask for no more deliveries. Iteration ends after those already received, which can still be settled."""
        if self._stopped:
            return
        self._stopped = True
        try:
            await self._cancel()
        finally:
            self._buffer.put_nowait(None)

    async def _next(self) -> Delivery | None:
        delivery = await self._buffer.get()
        if delivery is None:
            self._buffer.put_nowait(None)  # so that every later read ends as well
        return delivery

    def _deliver(self, delivery: Delivery) -> None:
        if self._closed:
            return
        self._unsettled[delivery] = None
        if not self._stopped:
            self._buffer.put_nowait(delivery)

    def _settle(self, delivery: Delivery, *, multiple: bool) -> list[Delivery]:
        if delivery not in self._unsettled:
            raise AlreadySettledError(f"delivery {delivery.message_id!r} from {self.queue!r} is already settled")
        if multiple:
            settled = [*itertools.takewhile(lambda earlier: earlier is not delivery, self._unsettled), delivery]
        else:
            settled = [delivery]
        for each in settled:
            del self._unsettled[each]
        return settled

    def _dead_letter_route(self, routing_key: str) -> tuple[str, str]:
        if self._spec is None or self._spec.dead_letter_exchange is None:
            raise NotDeclaredError(
                f"queue {self.queue!r} was not declared with a dead-letter exchange through this broker"
            )
        if self._spec.dead_letter_routing_key is not None:
            routing_key = self._spec.dead_letter_routing_key
        return self._spec.dead_letter_exchange, routing_key

    async def _shutdown(self) -> None:
        if self._closed:
            return
        await self.stop()
        self._closed = True
        pending = list(self._unsettled)
        self._unsettled.clear()
        while not self._buffer.empty():
            self._buffer.get_nowait()
        self._buffer.put_nowait(None)
        await self._close(pending)

    @abstractmethod
    async def _cancel(self) -> None: ...

    @abstractmethod
    async def _close(self, pending: list[Delivery]) -> None:
        """Give the still unsettled deliveries back to the queue, marked redelivered."""


class Delivery(ABC):
    def __init__(
        self,
        consumer: Consumer,
        *,
        body: bytes,
        headers: Headers,
        exchange: str,
        routing_key: str,
        message_id: str | None,
        redelivered: bool,
    ) -> None:
        self.body = body
        self.headers = headers
        self.exchange = exchange
        self.routing_key = routing_key
        self.message_id = message_id
        self.redelivered = redelivered
        self._consumer = consumer

    @property
    def settled(self) -> bool:
        return self not in self._consumer._unsettled

    async def ack(self, *, multiple: bool = False) -> None:
        """With `multiple=True` every earlier unsettled delivery of this consumer is acked too: one ack per batch."""
        settled = self._consumer._settle(self, multiple=multiple)
        await self._ack(settled, multiple=multiple)

    async def nack(self, *, requeue: bool) -> None:
        """`requeue=True` puts the message back at the head of the queue, marked redelivered.

        `requeue=False` has the broker dead-letter it through the queue's dead-letter exchange with only the broker's
        own headers (`x-first-death-reason: rejected`, …); use `dead_letter` to say why.
        """
        self._consumer._settle(self, multiple=False)
        await self._nack(requeue=requeue)

    async def dead_letter(self, reason: str) -> None:
        """Publish a copy to the queue's dead-letter exchange with the `x-death-reason` header, then ack.

        The copy keeps the body, headers and message id; its routing key is the queue's dead-letter routing key or,
        without one, the message's own. The two steps are not atomic: should the ack be lost, the message comes back
        and the dead queue holds a copy as well.
        """
        await self.dead_letter_part(self.body, reason)
        await self.ack()

    async def dead_letter_part(self, body: bytes, reason: str) -> None:
        """Publish `body`, a part of this message (one event of several), to the queue's dead-letter exchange as
        `dead_letter` would the whole message; the delivery itself stays unsettled."""
        if self.settled:
            raise AlreadySettledError(f"delivery {self.message_id!r} from {self._consumer.queue!r} is already settled")
        exchange, routing_key = self._consumer._dead_letter_route(self.routing_key)
        headers = {**self.headers, DEATH_REASON_HEADER: reason}
        await self._consumer._broker.publish(exchange, routing_key, body, headers=headers, message_id=self.message_id)

    @abstractmethod
    async def _ack(self, settled: list[Delivery], *, multiple: bool) -> None:
        """`settled`: this delivery and, with `multiple`, the earlier ones it settles too."""

    @abstractmethod
    async def _nack(self, *, requeue: bool) -> None: ...
