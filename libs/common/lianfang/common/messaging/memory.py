"""The in-process broker of the all-in-one mode: RabbitMQ's routing, prefetch, ack and dead-letter rules in one loop.

Brokers are shared by name within the process, so services started side by side with the same `memory://<name>` URL
talk to each other; a test takes a fresh one with a unique name.

With `?journal=<path>` (the all-in-one server's `broker.db` in its data directory) every message routed to a durable
queue is written to a SQLite journal before the publish returns, and leaves it when acked or dead-lettered: a publish
confirmed to a client survives the process killed with SIGKILL, and the queues are filled again from the journal when the
next process declares them (redelivered, as RabbitMQ marks what was unacked). Like the server's stores it runs WAL with
`synchronous=NORMAL`: a killed process loses nothing committed, a power cut may lose the last commits.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from lianfang.common.messaging.protocol import (
    BrokerUnavailable,
    Consumer,
    Delivery,
    Headers,
    NotDeclaredError,
    OutgoingMessage,
)
from lianfang.common.messaging.topology import Binding, Exchange, ExchangeType, Queue, Topology

__all__ = ["MemoryBroker", "memory_broker"]

_servers: dict[str, _Server] = {}


def memory_broker(name: str = "default", *, journal: Path | None = None) -> MemoryBroker:
    """The broker named `name` in this process; its journal is the one given when it was first asked for."""
    server = _servers.get(name)
    if server is None:
        server = _servers[name] = _Server(_Journal(journal) if journal is not None else None)
    return MemoryBroker(server)


class MemoryBroker:
    """One connection to a shared in-process server; closing it leaves the server and its queues to the others."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._consumers: set[_MemoryConsumer] = set()
        self._closed = False

    async def declare(self, topology: Topology) -> None:
        self._check_open()
        self._server.declare(topology)

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        headers: Headers | None = None,
        message_id: str | None = None,
    ) -> None:
        self._check_open()
        self._server.route(exchange, _message(exchange, routing_key, body, headers, message_id))
        self._server.commit()

    async def publish_many(self, exchange: str, messages: Iterable[OutgoingMessage]) -> None:
        self._check_open()
        for message in messages:
            self._server.route(
                exchange, _message(exchange, message.routing_key, message.body, message.headers, message.message_id)
            )
        self._server.commit()

    @asynccontextmanager
    async def consume(self, queue: str, *, prefetch: int = 100) -> AsyncIterator[Consumer]:
        self._check_open()
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        consumer = _MemoryConsumer(self, self._server, self._server.queue(queue), prefetch)
        self._consumers.add(consumer)
        consumer.start()
        try:
            yield consumer
        finally:
            self._consumers.discard(consumer)
            await consumer._shutdown()

    async def queue_depth(self, queue: str) -> int:
        self._check_open()
        return len(self._server.queue(queue).ready)

    async def ping(self) -> None:
        self._check_open()

    async def close(self) -> None:
        self._closed = True
        for consumer in list(self._consumers):
            await consumer._shutdown()
        self._consumers.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise BrokerUnavailable("消息服务连接已关闭")


@dataclass(slots=True)
class _Message:
    exchange: str
    routing_key: str
    body: bytes
    headers: dict[str, object]
    message_id: str | None
    redelivered: bool = False
    # Its row in the journal, for a message of a durable queue of a journaled broker.
    entry: int | None = None


def _message(exchange: str, routing_key: str, body: bytes, headers: Headers | None, message_id: str | None) -> _Message:
    # aiormq gives every message an id; so does the memory broker, so consumers see the same on both.
    return _Message(exchange, routing_key, bytes(body), dict(headers or {}), message_id or uuid.uuid4().hex)


class _Journal:
    """The messages of durable queues, on disk until settled (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self._database = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._database.execute("PRAGMA journal_mode=WAL")
        self._database.execute("PRAGMA synchronous=NORMAL")
        self._database.execute(
            "CREATE TABLE IF NOT EXISTS messages (entry INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, "
            "exchange TEXT NOT NULL, routing_key TEXT NOT NULL, body BLOB NOT NULL, headers TEXT NOT NULL, "
            "message_id TEXT)"
        )
        self._open = False

    def _begin(self) -> None:
        if not self._open:
            self._database.execute("BEGIN")
            self._open = True

    def add(self, queue: str, message: _Message) -> int:
        self._begin()
        cursor = self._database.execute(
            "INSERT INTO messages (queue, exchange, routing_key, body, headers, message_id) VALUES (?, ?, ?, ?, ?, ?)",
            (
                queue,
                message.exchange,
                message.routing_key,
                message.body,
                json.dumps(message.headers),
                message.message_id,
            ),
        )
        entry: int = cursor.lastrowid  # type: ignore[assignment]  # an INSERT always has one
        return entry

    def remove(self, entries: Iterable[int]) -> None:
        self._begin()
        self._database.executemany("DELETE FROM messages WHERE entry = ?", [(entry,) for entry in entries])

    def commit(self) -> None:
        if self._open:
            self._database.execute("COMMIT")
            self._open = False

    def load(self, queue: str) -> list[_Message]:
        rows = self._database.execute(
            "SELECT entry, exchange, routing_key, body, headers, message_id FROM messages WHERE queue = ? ORDER BY entry",
            (queue,),
        )
        return [
            _Message(exchange, routing_key, bytes(body), json.loads(headers), message_id, True, entry)
            for entry, exchange, routing_key, body, headers, message_id in rows
        ]


class _QueueState:
    def __init__(self, spec: Queue) -> None:
        self.spec = spec
        self.ready: deque[_Message] = deque()
        self.consumers: list[_MemoryConsumer] = []
        self._turn = 0

    def next_consumer(self) -> _MemoryConsumer | None:
        for offset in range(len(self.consumers)):
            index = (self._turn + offset) % len(self.consumers)
            consumer = self.consumers[index]
            if consumer.has_room():
                self._turn = index + 1
                return consumer
        return None


class _Server:
    def __init__(self, journal: _Journal | None = None) -> None:
        self.journal = journal
        self.exchanges: dict[str, Exchange] = {}
        self.queues: dict[str, _QueueState] = {}
        self.bindings: dict[str, set[Binding]] = {}

    def declare(self, topology: Topology) -> None:
        for exchange in topology.exchanges:
            if self.exchanges.setdefault(exchange.name, exchange) != exchange:
                raise ValueError(f"exchange {exchange.name!r} is already declared differently")
        for queue in topology.queues:
            state = self.queues.get(queue.name)
            if state is None:
                state = self.queues[queue.name] = _QueueState(queue)
                if self.journal is not None and queue.durable:
                    # What an earlier process confirmed and nobody settled: delivered again, as after a broker restart.
                    state.ready.extend(self.journal.load(queue.name))
            if state.spec != queue:
                raise ValueError(f"queue {queue.name!r} is already declared differently")
        for binding in topology.bindings:
            if binding.exchange not in self.exchanges:
                raise NotDeclaredError(f"exchange {binding.exchange!r} was never declared")
            self.queue(binding.queue)
            self.bindings.setdefault(binding.exchange, set()).add(binding)

    def queue(self, name: str) -> _QueueState:
        state = self.queues.get(name)
        if state is None:
            raise NotDeclaredError(f"queue {name!r} was never declared")
        return state

    def route(self, exchange: str, message: _Message) -> None:
        spec = self.exchanges.get(exchange)
        if spec is None:
            raise NotDeclaredError(f"exchange {exchange!r} was never declared")
        targets = {
            binding.queue
            for binding in self.bindings.get(exchange, ())
            if _routes(spec.type, binding.routing_key, message.routing_key)
        }
        for name in targets:
            state = self.queues[name]
            copy = replace(message, headers=dict(message.headers))
            if self.journal is not None and state.spec.durable:
                copy.entry = self.journal.add(name, copy)
            state.ready.append(copy)
            self.dispatch(state)

    def settle(self, messages: Iterable[_Message]) -> None:
        """Acked or dead-lettered: out of the journal (a loss of this before the commit only delivers them again)."""
        if self.journal is not None:
            self.journal.remove(message.entry for message in messages if message.entry is not None)

    def commit(self) -> None:
        if self.journal is not None:
            self.journal.commit()

    def dispatch(self, state: _QueueState) -> None:
        while state.ready and (consumer := state.next_consumer()) is not None:
            consumer._deliver(_MemoryDelivery(consumer, state.ready.popleft()))

    def requeue(self, state: _QueueState, messages: list[_Message]) -> None:
        for message in reversed(messages):
            message.redelivered = True
            state.ready.appendleft(message)
        self.dispatch(state)

    def reject(self, state: _QueueState, message: _Message) -> None:
        self.settle([message])
        self._dead_letter(state, message)
        self.commit()

    def _dead_letter(self, state: _QueueState, message: _Message) -> None:
        dead_letter_exchange = state.spec.dead_letter_exchange
        if dead_letter_exchange is None or dead_letter_exchange not in self.exchanges:
            return  # RabbitMQ drops it as well
        routing_key = state.spec.dead_letter_routing_key
        # Only the first death is recorded, as RabbitMQ does with its `x-first-death-*` headers.
        headers: dict[str, object] = {
            "x-first-death-reason": "rejected",
            "x-first-death-queue": state.spec.name,
            "x-first-death-exchange": message.exchange,
            **message.headers,
        }
        self.route(
            dead_letter_exchange,
            _Message(
                dead_letter_exchange,
                message.routing_key if routing_key is None else routing_key,
                message.body,
                headers,
                message.message_id,
            ),
        )


class _MemoryConsumer(Consumer):
    def __init__(self, broker: MemoryBroker, server: _Server, state: _QueueState, prefetch: int) -> None:
        super().__init__(broker, state.spec.name, spec=state.spec)
        self.server = server
        self.state = state
        self._prefetch = prefetch

    def start(self) -> None:
        self.state.consumers.append(self)
        self.server.dispatch(self.state)

    def has_room(self) -> bool:
        return not self._stopped and self.in_flight < self._prefetch

    async def _cancel(self) -> None:
        if self in self.state.consumers:
            self.state.consumers.remove(self)

    async def _close(self, pending: list[Delivery]) -> None:
        self.server.requeue(
            self.state, [delivery._message for delivery in pending if isinstance(delivery, _MemoryDelivery)]
        )


class _MemoryDelivery(Delivery):
    def __init__(self, consumer: _MemoryConsumer, message: _Message) -> None:
        super().__init__(
            consumer,
            body=message.body,
            headers=dict(message.headers),
            exchange=message.exchange,
            routing_key=message.routing_key,
            message_id=message.message_id,
            redelivered=message.redelivered,
        )
        self._memory_consumer = consumer
        self._message = message

    async def _ack(self, settled: list[Delivery], *, multiple: bool) -> None:
        consumer = self._memory_consumer
        consumer.server.settle(delivery._message for delivery in settled if isinstance(delivery, _MemoryDelivery))
        consumer.server.commit()
        consumer.server.dispatch(consumer.state)

    async def _nack(self, *, requeue: bool) -> None:
        consumer = self._memory_consumer
        if requeue:
            consumer.server.requeue(consumer.state, [self._message])
        else:
            consumer.server.reject(consumer.state, self._message)
            consumer.server.dispatch(consumer.state)


@functools.lru_cache(maxsize=4096)
def _topic_matches(pattern: str, routing_key: str) -> bool:
    return _words_match(tuple(pattern.split(".")), tuple(routing_key.split(".")))


def _words_match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _words_match(rest, words[1:])


def _routes(exchange_type: ExchangeType, binding_key: str, routing_key: str) -> bool:
    match exchange_type:
        case ExchangeType.fanout:
            return True
        case ExchangeType.direct:
            return binding_key == routing_key
        case ExchangeType.topic:
            return _topic_matches(binding_key, routing_key)
