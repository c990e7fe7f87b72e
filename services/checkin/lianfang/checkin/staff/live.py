"""Live events across instances: every instance publishes a checkpoint's events on its Redis channel, and each instance
listens on one pub/sub connection for all the event streams its staff have open."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

__all__ = ["LiveHub", "Subscription"]

log = logging.getLogger("lianfang.checkin.live")

# Events a stream may fall behind by before it is ended; the client reconnects and resumes from `Last-Event-ID`.
_BACKLOG: Final = 1000
_POLL_SECONDS: Final = 1.0

# None ends the stream: it fell too far behind.
Subscription = asyncio.Queue[bytes | None]


class LiveHub:
    def __init__(self, client: Redis, *, retry_seconds: float) -> None:
        self._client = client
        self._retry_seconds = retry_seconds
        self._pubsub: PubSub | None = None
        self._listeners: dict[str, set[Subscription]] = {}
        # Channels the pub/sub connection may lack after a failure: all are subscribed again before the next read.
        self._stale = False
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        queue: Subscription = asyncio.Queue(maxsize=_BACKLOG)
        async with self._lock:
            listeners = self._listeners.setdefault(channel, set())
            listeners.add(queue)
            if len(listeners) == 1:
                try:
                    await self._connection().subscribe(channel)
                except (RedisError, OSError) as error:
                    log.warning("cannot subscribe to %s yet: %s", channel, error)
                    self._stale = True
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="lianfang-checkin-live")
        try:
            yield queue
        finally:
            async with self._lock:
                listeners.discard(queue)
                if not listeners:
                    self._listeners.pop(channel, None)
                    if self._pubsub is not None:
                        with suppress(RedisError, OSError):
                            await self._pubsub.unsubscribe(channel)

    async def close(self) -> None:
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
        await self._reset()

    def _connection(self) -> PubSub:
        if self._pubsub is None:
            self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        return self._pubsub

    async def _reset(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with suppress(RedisError, OSError):
                # redis-py leaves `aclose` unannotated; `reset`, its typed alias, is deprecated.
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read(self) -> None:
        """Runs while anyone listens; the next subscriber starts it again."""
        while self._listeners and not self._closed:
            try:
                async with self._lock:
                    pubsub = self._connection()
                    if self._stale or not pubsub.subscribed:
                        await pubsub.subscribe(*self._listeners)
                        self._stale = False
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_POLL_SECONDS)
            except (RedisError, OSError, RuntimeError) as error:
                log.warning("live events interrupted (%s); listening again in %.1f s", error, self._retry_seconds)
                async with self._lock:
                    await self._reset()
                    self._stale = True
                await asyncio.sleep(self._retry_seconds)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel, data = message["channel"], message["data"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            for queue in list(self._listeners.get(name, ())):
                try:
                    queue.put_nowait(data)
                except asyncio.QueueFull:
                    while not queue.empty():
                        queue.get_nowait()
                    queue.put_nowait(None)
