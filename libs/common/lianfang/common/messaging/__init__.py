"""Events between services, on RabbitMQ (`amqp://…`, `amqps://…`) or the in-process broker (`memory://[name]`)."""

from __future__ import annotations

from lianfang.common.messaging.memory import MemoryBroker, memory_broker
from lianfang.common.messaging.protocol import (
    DEATH_REASON_HEADER,
    AlreadySettledError,
    Broker,
    BrokerUnavailable,
    Consumer,
    Delivery,
    Headers,
    NotDeclaredError,
    OutgoingMessage,
)
from lianfang.common.messaging.rabbitmq import RabbitMQBroker
from lianfang.common.messaging.topology import (
    CHECKINS_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    INGEST_QUEUE,
    LIANFANG_TOPOLOGY,
    Binding,
    Exchange,
    ExchangeType,
    Queue,
    Topology,
    checkin_topology,
)

__all__ = [
    "CHECKINS_EXCHANGE",
    "DEAD_LETTER_EXCHANGE",
    "DEAD_LETTER_QUEUE",
    "DEATH_REASON_HEADER",
    "INGEST_QUEUE",
    "LIANFANG_TOPOLOGY",
    "AlreadySettledError",
    "Binding",
    "Broker",
    "BrokerUnavailable",
    "Consumer",
    "Delivery",
    "Exchange",
    "ExchangeType",
    "Headers",
    "MemoryBroker",
    "NotDeclaredError",
    "OutgoingMessage",
    "Queue",
    "RabbitMQBroker",
    "Topology",
    "checkin_topology",
    "connect_broker",
    "memory_broker",
]


def connect_broker(url: str, *, timeout: float = 5.0) -> Broker:
    """Pick the broker by URL without connecting: RabbitMQ connects on first use, within `timeout` seconds.

    Every `memory://<name>` URL of one process reaches the same broker; `memory://` is `memory://default`.
    """
    scheme, _, rest = url.partition("://")
    if scheme == "memory":
        return memory_broker(rest.strip("/") or "default")
    if scheme in ("amqp", "amqps"):
        return RabbitMQBroker(url, timeout=timeout)
    raise ValueError(f"unsupported broker URL {url!r}: expected memory://, amqp:// or amqps://")
