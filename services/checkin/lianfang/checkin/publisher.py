from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from lianfang.common.contracts.events import batch_body
from lianfang.common.messaging import CHECKINS_EXCHANGE, LIANFANG_TOPOLOGY, Broker, OutgoingMessage
from lianfang.common.metrics import broker_metrics

__all__ = ["EventPublisher"]

_Waiting = tuple[OutgoingMessage, "asyncio.Future[None]"]


class EventPublisher:
    """Check-in events onto `lianfang.checkins`, returning once the broker confirmed every one of them.

    The events published in one event-loop turn that share a routing key leave as one message, a JSON array of their
    bodies (`lianfang.common.contracts.events`): RabbitMQ's work is per persistent message, about 60 µs of its CPU each,
    so at the morning rush, with ten check-ins answered in a turn, it costs a tenth as much per check-in, and the ingest
    worker receives a tenth as many messages. An event alone in its turn is published as itself. Either way a caller
    returns only once the message holding its events is confirmed, and fails with that message. A message holds at
    most `events_per_message` events (50 are about 60 KB); 1 publishes every event alone.

    The topology is declared before the first publish rather than at start-up, so the service starts (and answers 503
    to check-ins) while RabbitMQ is down, and its events are never dropped for want of the queue the worker reads.
    """

    def __init__(self, broker: Broker, *, events_per_message: int) -> None:
        self._broker = broker
        self._events_per_message = events_per_message
        self._declared = False
        self._lock = asyncio.Lock()
        self._waiting: dict[str, list[_Waiting]] = {}
        self._flush_scheduled = False
        self._sending: set[asyncio.Task[None]] = set()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if not self._declared:
            async with self._lock:
                if not self._declared:
                    try:
                        await self._broker.declare(LIANFANG_TOPOLOGY)
                    except Exception:
                        broker_metrics().publish_failures.inc(len(messages))
                        raise
                    self._declared = True
        loop = asyncio.get_running_loop()
        confirmed: list[asyncio.Future[None]] = []
        for message in messages:
            if message.headers:
                raise ValueError("events travel without headers: a message of several keeps only their bodies")
            future: asyncio.Future[None] = loop.create_future()
            self._waiting.setdefault(message.routing_key, []).append((message, future))
            confirmed.append(future)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        failure: Exception | None = None
        for future in confirmed:
            try:
                await future
            except Exception as error:  # every future is awaited, so none is left with an exception nobody read
                failure = failure or error
        if failure is not None:
            raise failure

    def _flush(self) -> None:
        self._flush_scheduled = False
        waiting, self._waiting = self._waiting, {}
        size = self._events_per_message
        for routing_key, queued in waiting.items():
            for start in range(0, len(queued), size):
                task = asyncio.ensure_future(self._send(routing_key, queued[start : start + size]))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    async def _send(self, routing_key: str, queued: Sequence[_Waiting]) -> None:
        first = queued[0][0]
        body = first.body if len(queued) == 1 else batch_body([message.body for message, _ in queued])
        metrics = broker_metrics()
        started = time.perf_counter()
        try:
            await self._broker.publish(CHECKINS_EXCHANGE, routing_key, body, message_id=first.message_id)
        except Exception as error:
            metrics.publish_failures.inc(len(queued))
            for _, future in queued:
                if not future.done():
                    future.set_exception(error)
        except BaseException:
            for _, future in queued:
                future.cancel()
            raise
        else:
            metrics.confirm_seconds.observe(time.perf_counter() - started)
            for _, future in queued:
                if not future.done():
                    future.set_result(None)
