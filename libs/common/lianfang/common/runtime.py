"""The connections one service opens at start-up and closes at shutdown, with a readiness check for each, and the
background jobs it runs in between."""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Self

import httpx
from redis.asyncio import Redis

from lianfang.common.cache import connect_cache
from lianfang.common.db import Database, create_database
from lianfang.common.messaging import Broker, Topology, connect_broker
from lianfang.common.observability import ReadinessCheck

__all__ = ["Runtime"]


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """What httpx makes for each client that verifies certificates, made once per process: loading the authorities'
    certificates costs 45 ms of CPU, paid by every service start-up for each of its clients (and by every test that
    starts one)."""
    return httpx.create_ssl_context()


class Runtime:
    def __init__(self) -> None:
        self.readiness: list[ReadinessCheck] = []
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Self:
        await self._stack.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._stack.__aexit__(kind, error, traceback)

    def database(self, name: str, url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Database:
        database = create_database(url, pool_size=pool_size, max_overflow=max_overflow)
        self._stack.push_async_callback(database.dispose)
        self.readiness.append(ReadinessCheck(name, database.ping))
        return database

    def cache(self, url: str) -> Redis:
        cache = connect_cache(url)
        self._stack.push_async_callback(cache.aclose)
        self.readiness.append(ReadinessCheck("redis", cache.ping))
        return cache

    async def broker(self, url: str, topology: Topology | None = None) -> Broker:
        broker = connect_broker(url)
        self._stack.push_async_callback(broker.close)
        if topology is not None:
            await broker.declare(topology)
        self.readiness.append(ReadinessCheck("rabbitmq", broker.ping))
        return broker

    def http_client(
        self,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
        headers: dict[str, str] | None = None,
    ) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            base_url=base_url, transport=transport, timeout=timeout, headers=headers, verify=_verifying_context()
        )
        self._stack.push_async_callback(client.aclose)
        return client

    def background(self, name: str, job: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
        """Runs `job(stopping)` as a task until shutdown, when `stopping` is set and the job awaited, before the
        connections opened earlier close. Stopping is asked, never forced: a task cancelled in the middle of a statement
        can leave its connection waiting forever."""
        stopping = asyncio.Event()
        task = asyncio.create_task(job(stopping), name=name)

        async def stop() -> None:
            stopping.set()
            await task

        self._stack.push_async_callback(stop)
