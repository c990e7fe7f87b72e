"""Wrong-password counting by username and source address together, in Redis.

A try is counted (INCR, atomic) before the password is verified, so however many guesses arrive at once, only
`LIANFANG_LOGIN_MAX_FAILURES` of them are ever verified per address; the count lives `LIANFANG_LOGIN_LOCK_MINUTES` from
the first wrong try, or from the one that locked. Unknown usernames are counted like known ones, so the answer never
tells whether a username exists. One address locking itself out leaves the same account open from every other address:
nobody can keep the root admin locked out. `lianfang unlock USER` (or a superior's password reset) lifts it everywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

__all__ = ["LoginTries", "Reserved", "unlock"]

_PREFIX = "lianfang:auth:login-failures:"


def _account_prefix(username: str) -> str:
    # Hashed: keys never show usernames (nor how many tries an unknown one got) to whoever reads Redis.
    return _PREFIX + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32] + ":"


@dataclass(frozen=True)
class Reserved:
    """A try counted before it is verified: `number` of `limit`; `locked_for` seconds left when over the limit."""

    number: int
    limit: int
    locked_for: int

    @property
    def over(self) -> bool:
        return self.number > self.limit

    @property
    def left(self) -> int:
        return max(0, self.limit - self.number)


class LoginTries:
    def __init__(self, cache: Redis, *, limit: int, lock_seconds: int) -> None:
        self.cache = cache
        self.limit = limit
        self.lock_seconds = lock_seconds

    async def reserve(self, username: str, address: str) -> Reserved:
        key = _account_prefix(username) + address
        async with self.cache.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=self.lock_seconds, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
            _, number, ttl = await pipe.execute()
        return Reserved(int(number), self.limit, max(1, int(ttl)))

    async def locked_now(self, username: str, address: str) -> None:
        """The try that used the last one locks for the full time from now."""
        await self.cache.expire(_account_prefix(username) + address, self.lock_seconds)

    async def succeeded(self, username: str, address: str) -> None:
        await self.cache.delete(_account_prefix(username) + address)


async def unlock(cache: Redis, username: str) -> int:
    """Lifts the lock of `username` from every address; how many addresses were locked or counting."""
    keys = [key async for key in cache.scan_iter(match=_account_prefix(username) + "*", count=1000)]
    if keys:
        await cache.delete(*keys)
    return len(keys)
