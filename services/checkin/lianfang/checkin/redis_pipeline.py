"""A pipelined Redis client for the check-in path: RESP2 over one long-lived connection, every request's commands in flight
together.

redis-py spends about 100 µs of Python on each round trip and 10–15 µs on each command (a connection checked out of a
pool, a timeout context around every reply, reply callbacks); at thousands of check-ins a second that alone is most of a
CPU. Here a batch of commands costs its encoding and the parsing of its replies (both hiredis's, in C): the batches of
all requests that ask in the same event-loop turn go out in one write, and Redis answers them in order on the same
connection.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import hiredis
from hiredis import pack_command

from lianfang.common.loopbatch import LoopBatch

__all__ = [
    "Command",
    "ConnectionLost",
    "PipelinedRedis",
    "RedisReplyError",
    "RepliesLate",
    "Reply",
    "ReplyParser",
    "encode_commands",
]

Command: TypeAlias = tuple[bytes | str | int | float, ...]
Reply: TypeAlias = "bytes | int | list[Reply] | RedisReplyError | None"


class RedisReplyError(Exception):
    """An error reply (`-ERR …`, `-WRONGTYPE …`): returned in place of the command's reply, never raised by the client."""


class ConnectionLost(ConnectionError):
    pass


def encode_commands(commands: Sequence[Command]) -> bytes:
    """The commands as one RESP2 payload (hiredis's encoder: a batch of a dozen commands is encoded on every check-in,
    and Python spends 3 times as long on it). Booleans are refused: Redis has none."""
    # hiredis's stub types the tuple as one item long.
    return b"".join([pack_command(command) for command in commands])  # type: ignore[arg-type]


class ReplyParser:
    """Replies out of a byte stream that arrives in arbitrary pieces (hiredis's parser); an error reply comes out as a
    `RedisReplyError`, bytes that are no reply raise `ConnectionLost`."""

    def __init__(self) -> None:
        self._reader = hiredis.Reader(replyError=RedisReplyError)

    def feed(self, data: bytes) -> list[Reply]:
        reader = self._reader
        reader.feed(data)
        replies: list[Reply] = []
        try:
            while (reply := reader.gets()) is not False:
                replies.append(reply)
        except hiredis.ProtocolError as error:
            raise ConnectionLost(f"Redis sent something unreadable: {error}") from None
        return replies


class RepliesLate(ConnectionLost, TimeoutError):
    """Redis did not answer a batch in time; the connection is dropped with every batch waiting on it."""


@dataclass(slots=True)
class _Batch:
    future: asyncio.Future[list[Reply]]
    expected: int
    # By when, on the loop's clock, the replies must be in.
    deadline: float
    replies: list[Reply] = field(default_factory=list)


class _Connection(asyncio.Protocol):
    """One connection's batches, answered in order. The writes of a loop turn and the replies' deadlines are kept by a
    `LoopBatch`, its batches numbered in the order they were sent: replies answer the oldest first."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._loop = loop
        self._parser = ReplyParser()
        self._batch: LoopBatch[_Batch, ConnectionLost] = LoopBatch(
            loop,
            timeout=timeout,
            late=lambda: RepliesLate(f"Redis did not answer within {timeout:g} s"),
            late_breaks_connection=True,
        )
        # The number of the next batch sent, and of the oldest one still waiting for replies.
        self._sent = 0
        self._answering = 0

    @property
    def lost(self) -> ConnectionLost | None:
        return self._batch.failure

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement `asyncio.Transport` without deriving from it.
        self._batch.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            replies = self._parser.feed(data)
        except ConnectionLost as error:
            self._batch.fail(error)
            return
        waiting = self._batch.waiting
        answering = self._answering
        for reply in replies:
            batch = waiting.get(answering)
            if batch is None:
                self._batch.fail(ConnectionLost("Redis sent a reply nobody asked for"))
                return
            batch.replies.append(reply)
            if len(batch.replies) == batch.expected:
                del waiting[answering]
                answering += 1
                if not batch.future.done():
                    batch.future.set_result(batch.replies)
        self._answering = answering

    def connection_lost(self, exc: Exception | None) -> None:
        self._batch.fail(ConnectionLost(f"Redis connection lost: {exc}" if exc else "Redis closed the connection"))

    def send(self, payload: bytes, expected: int) -> asyncio.Future[list[Reply]]:
        batch = self._batch
        if batch.failure is not None:
            raise batch.failure
        future: asyncio.Future[list[Reply]] = self._loop.create_future()
        batch.submit(self._sent, _Batch(future, expected, batch.deadline()), payload)
        self._sent += 1
        return future

    def close(self) -> None:
        self._batch.fail(ConnectionLost("closed"))


@dataclass(frozen=True, slots=True)
class _Endpoint:
    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> _Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"expected a redis:// or rediss:// URL, got {parts.scheme}://")
        if parts.query:
            # redis-py would honour them (a CA file, a timeout): here they would be ignored without a word.
            options = ", ".join(dict.fromkeys(name for name, _ in parse_qsl(parts.query, keep_blank_values=True)))
            raise ValueError(f"the Redis URL's options are not supported by the pipelined client, remove: {options}")
        path = parts.path.strip("/")
        if path and not path.isdigit():
            raise ValueError(f"the Redis URL's path must be a database number, got /{path}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(path) if path else 0,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "rediss",
        )

    def greeting(self) -> list[Command]:
        commands: list[Command] = []
        if self.password is not None:
            commands.append(("AUTH", self.username, self.password) if self.username else ("AUTH", self.password))
        if self.db:
            commands.append(("SELECT", self.db))
        return commands


class PipelinedRedis:
    """`execute` sends a batch of commands and returns their replies in order, error replies as `RedisReplyError`.

    Raises `ConnectionError` (or `TimeoutError` after `timeout` seconds) when Redis cannot be reached; a connection whose
    replies are late is closed, so that a Redis gone silent fails fast instead of gathering waiting requests.
    """

    def __init__(self, url: str, *, timeout: float, connections: int = 1) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        self._endpoint = _Endpoint.from_url(url)
        self._timeout = timeout
        self._slots: list[_Connection | None] = [None] * connections
        self._connecting: list[asyncio.Task[_Connection] | None] = [None] * connections
        self._turn = 0
        self._closed = False

    @property
    def database(self) -> int:
        return self._endpoint.db

    async def execute(self, commands: Sequence[Command]) -> list[Reply]:
        if not commands:
            return []
        connection = await self._connection()
        return await connection.send(encode_commands(commands), len(commands))

    def send(self, commands: Sequence[Command]) -> asyncio.Future[list[Reply]]:
        """`execute` without waiting. On an open connection the batch is queued at once, so it reaches Redis before any
        asked for after it there; while connecting, it waits for the connection as `execute` does."""
        slot = self._turn = (self._turn + 1) % len(self._slots)
        connection = self._slots[slot]
        if self._closed or connection is None or connection.lost is not None:
            return asyncio.ensure_future(self.execute(commands))
        return connection.send(encode_commands(commands), len(commands))

    async def close(self) -> None:
        self._closed = True
        for task in self._connecting:
            if task is not None:
                task.cancel()
        for connection in self._slots:
            if connection is not None:
                connection.close()
        self._slots = [None] * len(self._slots)

    async def _connection(self) -> _Connection:
        if self._closed:
            raise ConnectionLost("the Redis client is closed")
        slot = self._turn = (self._turn + 1) % len(self._slots)
        connection = self._slots[slot]
        if connection is not None and connection.lost is None:
            return connection
        task = self._connecting[slot]
        if task is None:
            task = self._connecting[slot] = asyncio.create_task(self._connect())
            task.add_done_callback(lambda _: self._connecting.__setitem__(slot, None))
        connection = await asyncio.shield(task)
        self._slots[slot] = connection
        return connection

    async def _connect(self) -> _Connection:
        endpoint = self._endpoint
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if endpoint.tls else None
        async with asyncio.timeout(self._timeout):
            _, connection = await loop.create_connection(
                lambda: _Connection(loop, self._timeout), endpoint.host, endpoint.port, ssl=context
            )
            greeting = endpoint.greeting()
            if greeting:
                replies = await connection.send(encode_commands(greeting), len(greeting))
                errors = [reply for reply in replies if isinstance(reply, RedisReplyError)]
                if errors:
                    connection.close()
                    raise ConnectionLost(f"Redis refused the connection: {errors[0]}")
        return connection
