"""What a broker holds: exchanges, queues and the bindings between them, declared once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CHECKINS_EXCHANGE",
    "DEAD_LETTER_EXCHANGE",
    "DEAD_LETTER_QUEUE",
    "INGEST_QUEUE",
    "LIANFANG_TOPOLOGY",
    "Binding",
    "Exchange",
    "ExchangeType",
    "Queue",
    "Topology",
    "checkin_topology",
]


class ExchangeType(StrEnum):
    direct = "direct"
    fanout = "fanout"
    topic = "topic"


@dataclass(frozen=True, slots=True)
class Exchange:
    name: str
    type: ExchangeType = ExchangeType.topic
    durable: bool = True


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    durable: bool = True
    dead_letter_exchange: str | None = None
    # None keeps the message's own routing key when it is dead-lettered.
    dead_letter_routing_key: str | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    exchange: str
    queue: str
    # A pattern for topic exchanges (`*` one word, `#` zero or more), ignored by fanout exchanges.
    routing_key: str = ""


@dataclass(frozen=True, slots=True)
class Topology:
    exchanges: tuple[Exchange, ...] = ()
    queues: tuple[Queue, ...] = ()
    bindings: tuple[Binding, ...] = ()


CHECKINS_EXCHANGE = "lianfang.checkins"
DEAD_LETTER_EXCHANGE = "lianfang.dead"
INGEST_QUEUE = "ingest.checkins"
DEAD_LETTER_QUEUE = "ingest.dead"


def checkin_topology(
    events: str = CHECKINS_EXCHANGE,
    dead: str = DEAD_LETTER_EXCHANGE,
    queue: str = INGEST_QUEUE,
    dead_queue: str = DEAD_LETTER_QUEUE,
) -> Topology:
    """Check-in events through a topic exchange to the ingest queue, whose refusals go through a fanout exchange to the
    dead-letter queue. Under other names, a test's or a benchmark's own copy of the same shape."""
    return Topology(
        exchanges=(Exchange(events, ExchangeType.topic), Exchange(dead, ExchangeType.fanout)),
        queues=(Queue(queue, dead_letter_exchange=dead), Queue(dead_queue)),
        bindings=(Binding(events, queue, "checkin.#"), Binding(dead, dead_queue)),
    )


LIANFANG_TOPOLOGY = checkin_topology()
