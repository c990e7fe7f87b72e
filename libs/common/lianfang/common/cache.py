"""Redis by URL: `redis://…` for a real server, `memory://[name]` for an in-process fakeredis shared by name."""

from __future__ import annotations

from typing import Any

import fakeredis
from redis.asyncio import Redis

__all__ = ["Cache", "connect_cache"]

Cache = Redis
_memory_servers: dict[str, fakeredis.FakeServer] = {}


def connect_cache(url: str, **options: Any) -> Redis:
    if url.startswith("memory:"):
        name = url.removeprefix("memory:").strip("/") or "default"
        server = _memory_servers.setdefault(name, fakeredis.FakeServer())
        return fakeredis.FakeAsyncRedis(server=server, decode_responses=False, **options)
    options.setdefault("socket_connect_timeout", 2)
    options.setdefault("socket_timeout", 2)
    options.setdefault("health_check_interval", 30)
    return Redis.from_url(url, **options)
