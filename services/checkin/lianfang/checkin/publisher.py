from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lianfang.common.messaging import CHECKINS_EXCHANGE, LIANFANG_TOPOLOGY, Broker, OutgoingMessage

__all__ = ["EventPublisher"]


class EventPublisher:
    """Check-in events onto `lianfang.checkins`, returning once the broker confirmed every one of them.

    The topology is declared before the first publish rather than at start-up, so the service starts (and answers 503
    to check-ins) while RabbitMQ is down, and its events are never dropped for want of the queue the worker reads.
    """

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self._declared = False
        self._lock = asyncio.Lock()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if not self._declared:
            async with self._lock:
                if not self._declared:
                    await self._broker.declare(LIANFANG_TOPOLOGY)
                    self._declared = True
        if len(messages) == 1:
            (message,) = messages
            await self._broker.publish(
                CHECKINS_EXCHANGE, message.routing_key, message.body, message_id=message.message_id
            )
        else:
            await self._broker.publish_many(CHECKINS_EXCHANGE, messages)
