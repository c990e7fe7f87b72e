"""Redis as the check-in service uses it: batches of commands answered in one round trip each, and a breaker that lets
check-ins go on without Redis while it is down."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lianfang.checkin.errors import StateRebuilding, StateUnavailable
from lianfang.checkin.keys import EPOCH_KEY
from lianfang.checkin.redis_pipeline import Command, PipelinedRedis, RedisReplyError, Reply
from lianfang.common.metrics import redis_metrics

__all__ = [
    "CommandRunner",
    "RedisPyRunner",
    "RedisState",
    "as_mapping",
    "delete_if_held",
    "replace_if_held",
    "runner_for",
    "stored",
]

log = logging.getLogger("lianfang.checkin.redis")

Model = TypeVar("Model", bound=BaseModel)


def stored(model: type[Model], raw: Reply, what: str) -> Model | None:
    """A model Redis keeps as JSON: None for a key that is not there, and for one unreadable (logged, `what` naming it),
    which the caller treats as missing."""
    if not isinstance(raw, bytes):
        return None
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        log.exception("an unreadable %s in Redis", what)
        return None


class CommandRunner(Protocol):
    @property
    def database(self) -> int:
        """The database the commands run in."""

    async def execute(self, commands: Sequence[Command]) -> list[Reply]: ...

    def send(self, commands: Sequence[Command]) -> asyncio.Future[list[Reply]]:
        """`execute` without waiting: the batch takes its place at once, ahead of any asked for after it."""

    async def close(self) -> None: ...


class RedisPyRunner:
    """The same batches through a redis-py client: the in-process fakeredis of `memory://` URLs speaks no TCP. Batches
    run one after another in the order they were asked for, as on `PipelinedRedis`'s connection."""

    def __init__(self, client: Redis) -> None:
        self._client = client
        self._last: asyncio.Future[list[Reply]] | None = None

    @property
    def database(self) -> int:
        return int(self._client.connection_pool.connection_kwargs.get("db", 0))

    async def execute(self, commands: Sequence[Command]) -> list[Reply]:
        return await self.send(commands)

    def send(self, commands: Sequence[Command]) -> asyncio.Future[list[Reply]]:
        batch = asyncio.ensure_future(self._run(commands, after=self._last))
        self._last = batch
        return batch

    async def _run(self, commands: Sequence[Command], *, after: asyncio.Future[list[Reply]] | None) -> list[Reply]:
        if after is not None and not after.done():
            await asyncio.wait([after])
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


_UNREACHABLE = (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError)


def _check(commands: Sequence[Command], replies: Sequence[Reply]) -> None:
    """An error reply is a bug here, and raises."""
    for command, reply in zip(commands, replies, strict=True):
        if isinstance(reply, RedisReplyError):
            redis_metrics().errors("reply").inc()
            raise RuntimeError(f"Redis refused {command[0]!r}: {reply}")


# Deletes KEYS[1] while it holds ARGV[1], in one step: a GET and then a DEL would delete whatever was written between
# them, such as the receipt a rebuild writes over a claim being given back (CI's loaded fault run lost receipts so, and
# their retries were answered with new records).
_DELETE_IF_HELD: Final = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def delete_if_held(key: str, value: bytes) -> Command:
    """Gives back a claim or a lock: `key` is deleted only while it still holds `value`."""
    return ("EVAL", _DELETE_IF_HELD, 1, key, value)


_REPLACE_IF_HELD: Final = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) and 1 end"
    " return 0"
)


def replace_if_held(key: str, value: bytes, new: bytes, seconds: int) -> Command:
    """Hands a claim on: `key` is set to `new` (for `seconds`) only while it still holds `value`. Answers 1 if it was."""
    return ("EVAL", _REPLACE_IF_HELD, 1, key, value, new, seconds)


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
        # What the last round trip found, for the gauge: `available` turns true again once the retry pause is over,
        # before anything has reached Redis, and a scrape then must not say it is back.
        self._reached = True
        self._sending: set[asyncio.Future[list[Reply]]] = set()
        # Told when a read finds the projection's epoch missing (`lianfang.checkin.projection.Projection`).
        self.on_lost: Callable[[], None] = lambda: None
        # Set from the moment this instance saw the state lost until it sees it rebuilt: a check-in or decision that
        # claimed before the loss is not published then, since the rebuild may already have read the store.
        self.lost = False
        self._metrics = redis_metrics()
        self._metrics.available.set_function(lambda: 1.0 if self._reached else 0.0)

    @property
    def database(self) -> int:
        """The database this state lives in: a Redis server's pub/sub channels are shared by all its databases, so the
        live channels' names carry it (`keys.live_channel`)."""
        return self._runner.database

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def execute(self, commands: Sequence[Command]) -> list[Reply]:
        """The replies in order; `StateUnavailable` while Redis is down. An error reply is a bug here, and raises."""
        if not self.available:
            raise StateUnavailable()
        started = time.perf_counter()
        try:
            replies = await self._runner.execute(commands)
        except _UNREACHABLE as error:
            raise self._unavailable(error) from error
        self._reached = True
        self._metrics.roundtrip_seconds.observe(time.perf_counter() - started)
        _check(commands, replies)
        return replies

    async def read(self, commands: Sequence[Command]) -> list[Reply]:
        """`execute` for what answers from the projection of the records store: in the same round trip, whether Redis
        still holds it. `StateRebuilding` when it does not (its commands ran all the same: a claim is the caller's to
        give back)."""
        replies = await self.execute([*commands, ("EXISTS", EPOCH_KEY)])
        if not replies[-1]:
            self.lost = True
            self.on_lost()
            raise StateRebuilding()
        return replies[:-1]

    def send(self, commands: Sequence[Command], *, unsent: str) -> None:
        """Best-effort writes, not waited for: they take their place before anything asked of Redis after this call,
        and `unsent` is logged should they fail."""
        if not self.available:
            log.warning("%s", unsent)
            return
        try:
            sent = self._runner.send(commands)
        except _UNREACHABLE as error:
            self._unavailable(error)
            log.warning("%s", unsent)
            return
        self._sending.add(sent)
        sent.add_done_callback(lambda done: self._sent(commands, done, unsent))

    def _sent(self, commands: Sequence[Command], sent: asyncio.Future[list[Reply]], unsent: str) -> None:
        self._sending.discard(sent)
        if sent.cancelled():
            return
        error = sent.exception()
        try:
            if error is not None:
                raise error
            self._reached = True
            _check(commands, sent.result())
        except _UNREACHABLE as unreachable:
            self._unavailable(unreachable)
            log.warning("%s", unsent)
        except Exception:
            log.exception("%s", unsent)

    def _unavailable(self, error: BaseException) -> StateUnavailable:
        self._metrics.errors("unreachable").inc()
        self._reached = False
        self._down_until = time.monotonic() + self._retry_seconds
        log.warning("Redis is unavailable (%s); going on without it for %.1f s", error, self._retry_seconds)
        return StateUnavailable()

    async def close(self) -> None:
        if self._sending:
            await asyncio.wait(self._sending, timeout=self._retry_seconds or None)
        await self._runner.close()
