"""Access tokens that end before they expire: disabling an account, unbinding a gate keeper, logout, a password change
and a reused refresh token void every access token the account was issued until that moment.

The moments live in one Redis hash (account id → Unix time, kept as long as an access token lives), which every
instance of every service reads every `LIANFANG_REVOCATION_REFRESH_SECONDS` (2 s) in the background: checking a token
is a dictionary look-up, so the check-in hot path gains no Redis round trip. A token is void when it was issued
(`iat`, to the millisecond) before its account's moment; the next refresh gives a new one, unless the account is
disabled. While Redis cannot be read, an instance keeps the moments it last read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["REVOKED_KEY", "Revocations", "revoke", "to_millisecond"]

REVOKED_KEY = "lianfang:auth:revoked"

log = logging.getLogger(__name__)


def to_millisecond(moment: float) -> float:
    """Issue and revocation times are cut to the same millisecond grid, so a token issued in the millisecond of a
    revocation stays valid (a login right after a password change must work)."""
    return math.floor(moment * 1000) / 1000


class Revocations:
    def __init__(self) -> None:
        self._since: dict[str, float] = {}

    def voids(self, subject: str, issued_at: float) -> bool:
        since = self._since.get(subject)
        return since is not None and issued_at < since

    async def read(self, cache: Redis) -> None:
        stored = await cache.hgetall(REVOKED_KEY)
        self._since = {_text(subject): float(moment) for subject, moment in stored.items()}

    @asynccontextmanager
    async def kept_fresh(self, cache: Redis, interval: float) -> AsyncIterator[None]:
        """Reads the moments now (a start must not serve a token revoked a second ago: it waits up to a second for
        the first read), then every `interval` seconds. A read in flight is let finish when the service stops rather
        than cancelled (a Redis client cancelled in the middle of a reply may not answer again); only one that hangs
        past `interval` is."""
        first, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(self._keep_reading(cache, interval, first, stop), name="lianfang-revocations")
        read = asyncio.create_task(first.wait())
        await asyncio.wait([task, read], timeout=max(interval, 1.0), return_when=asyncio.FIRST_COMPLETED)
        read.cancel()
        if not first.is_set():
            log.warning("revoked tokens not read yet at start; going on, still trying every %s s", interval)
        try:
            yield
        finally:
            stop.set()
            _, pending = await asyncio.wait([task], timeout=interval + 1.0)
            for hung in pending:
                hung.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _keep_reading(self, cache: Redis, interval: float, first: asyncio.Event, stop: asyncio.Event) -> None:
        failing = False
        while not stop.is_set():
            try:
                await self.read(cache)
            except (RedisError, OSError) as error:
                if not failing:
                    log.warning("revoked tokens cannot be read (%s): keeping the %d known", error, len(self._since))
                failing = True
            else:
                failing = False
                first.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def revoke(cache: Redis, subject: uuid.UUID, *, keep_seconds: float, now: float | None = None) -> None:
    """Voids every access token of `subject` issued until now; moments older than `keep_seconds` (an access token's
    lifetime) void nothing any more and are dropped."""
    moment = to_millisecond(time.time() if now is None else now)
    stored = await cache.hgetall(REVOKED_KEY)
    expired = [subject for subject, at in stored.items() if float(at) < moment - keep_seconds]
    async with cache.pipeline(transaction=True) as pipe:
        pipe.hset(REVOKED_KEY, str(subject), repr(moment))
        if expired:
            pipe.hdel(REVOKED_KEY, *expired)
        await pipe.execute()
