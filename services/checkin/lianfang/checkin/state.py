"""Redis as the check-in service uses it: batches of commands answered in one round trip each, and a breaker that lets
check-ins go on without Redis while it is down."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lianfang.checkin.errors import StateUnavailable
from lianfang.checkin.resp import Command, PipelinedRedis, RedisReplyError, Reply

__all__ = ["CommandRunner", "RedisPyRunner", "RedisState", "as_mapping", "runner_for"]

log = logging.getLogger("lianfang.checkin.redis")


class CommandRunner(Protocol):
    async def execute(self, commands: Sequence[Command]) -> list[Reply]: ...

    async def close(self) -> None: ...


class RedisPyRunner:
    """The same batches through a redis-py client: the in-process fakeredis of `memory://` URLs speaks no TCP."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def execute(self, commands: Sequence[Command]) -> list[Reply]:
        pipeline = self._client.pipeline(transaction=False)
        # Raw replies, as Redis sends them, like `PipelinedRedis` returns them.
        pipeline.response_callbacks = {}
        for command in commands:
            pipeline.execute_command(*command)
        replies = await pipeline.execute(raise_on_error=False)
        return [RedisReplyError(str(reply)) if isinstance(reply, Exception) else reply for reply in replies]

    async def close(self) -> None:
        """The client belongs to whoever made it."""


def runner_for(url: str, client: Redis, *, timeout: float, connections: int) -> CommandRunner:
    if url.startswith(("redis://", "rediss://")):
        return PipelinedRedis(url, timeout=timeout, connections=connections)
    return RedisPyRunner(client)


def as_mapping(reply: Reply | Mapping[bytes, bytes]) -> dict[bytes, bytes]:
    """HGETALL's reply: a flat list of fields and values in RESP2, a map in RESP3."""
    if isinstance(reply, Mapping):
        return dict(reply)
    if not isinstance(reply, list):
        return {}
    pairs = iter(reply)
    return {
        key: value
        for key, value in zip(pairs, pairs, strict=True)
        if isinstance(key, bytes) and isinstance(value, bytes)
    }


class RedisState:
    def __init__(self, runner: CommandRunner, *, retry_seconds: float) -> None:
        self._runner = runner
        self._retry_seconds = retry_seconds
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def execute(self, commands: Sequence[Command]) -> list[Reply]:
        """The replies in order; `StateUnavailable` while Redis is down. An error reply is a bug here, and raises."""
        if not self.available:
            raise StateUnavailable()
        try:
            replies = await self._runner.execute(commands)
        except (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError) as error:
            self._down_until = time.monotonic() + self._retry_seconds
            log.warning("Redis is unavailable (%s); going on without it for %.1f s", error, self._retry_seconds)
            raise StateUnavailable() from error
        for command, reply in zip(commands, replies, strict=True):
            if isinstance(reply, RedisReplyError):
                raise RuntimeError(f"Redis refused {command[0]!r}: {reply}")
        return replies

    async def close(self) -> None:
        await self._runner.close()
