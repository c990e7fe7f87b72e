"""Events between services, on RabbitMQ (`amqp://…`, `amqps://…`) or the in-process broker (`memory://[name]`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

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

    Every `memory://<name>` URL of one process reaches the same broker; `memory://` is `memory://default`;
    `memory://<name>?journal=<path>` keeps what its durable queues hold in a SQLite file (`messaging.memory`).
    """
    scheme, _, rest = url.partition("://")
    if scheme == "memory":
        name, _, query = rest.partition("?")
        journal = parse_qs(query).get("journal")
        return memory_broker(name.strip("/") or "default", journal=Path(journal[0]) if journal else None)
    if scheme in ("amqp", "amqps"):
        return RabbitMQBroker(url, timeout=timeout)
    raise ValueError(f"unsupported broker URL {url!r}: expected memory://, amqp:// or amqps://")
