from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from lianfang.checkin.main import create_app
from lianfang.checkin.settings import CheckinSettings
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.messaging import (
    CHECKINS_EXCHANGE,
    INGEST_QUEUE,
    Binding,
    Exchange,
    ExchangeType,
    Queue,
    Topology,
    connect_broker,
)
from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Backend

from .support import GATE, HOSPITAL_GATE, MARKET, Json, Published, seed

REGISTRY_URL = "http://registry.test"
_BY_CODE = re.compile(r"/api/registry/internal/checkpoints/([^/]+)/config")
_BY_ID = re.compile(r"/api/registry/internal/checkpoints/by-id/(\d+)/config")


@dataclass
class FakeRegistry:
    """The registry's internal config endpoints, as the check-in service asks them on a Redis miss."""

    configs: dict[str, CheckpointConfig] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    down: bool = False

    def add(self, *configs: CheckpointConfig) -> None:
        self.configs.update((config.code, config) for config in configs)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.path)
        if self.down:
            raise httpx.ConnectError("registry unreachable", request=request)
        if by_id := _BY_ID.fullmatch(request.url.path):
            found = next((config for config in self.configs.values() if config.id == int(by_id[1])), None)
        elif by_code := _BY_CODE.fullmatch(request.url.path):
            found = self.configs.get(by_code[1])
        else:
            return httpx.Response(404, json={"code": "not_found"})
        if found is None:
            return httpx.Response(404, json={"code": "checkpoint_not_found"})
        return httpx.Response(200, content=found.model_dump_json(), headers={"content-type": "application/json"})


@dataclass
class FakeGateway:
    """The gateway's decision notices, as the check-in service sends them after a decision; `failures` answers the
    next ones with that status."""

    notices: list[tuple[Json, str]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/auth/internal/notifications/decision"
        if self.failures:
            return httpx.Response(self.failures.pop(0), json={"code": "wechat_unavailable"})
        self.notices.append((json.loads(request.content), request.headers["Authorization"]))
        return httpx.Response(200, json={"sent": True, "reason": "sent"})


def checkin_settings(redis_url: str, broker_url: str, **overrides: Any) -> CheckinSettings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "broker_url": broker_url,
        "registry_url": REGISTRY_URL,
        "gateway_url": "http://gateway.test",
        "sse_heartbeat_seconds": 0.2,
        "redis_timeout_seconds": 0.3,
        "redis_retry_seconds": 0.3,
        "duplicate_wait_seconds": 5.0,
    }
    return CheckinSettings.model_validate(values | overrides)


@dataclass
class Instance:
    """One running instance of the service."""

    app: FastAPI
    client: httpx.AsyncClient


Serve = Callable[[CheckinSettings], AbstractAsyncContextManager[Instance]]


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def settings(redis_url: str, broker_url: str) -> CheckinSettings:
    return checkin_settings(redis_url, broker_url)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def start(registry: FakeRegistry, gateway: FakeGateway) -> Serve:
    """Another instance of the service, on the given settings, the same fake registry and gateway behind it."""

    @asynccontextmanager
    async def started(settings: CheckinSettings) -> AsyncIterator[Instance]:
        app = create_app(
            settings,
            registry_transport=httpx.MockTransport(registry.handle),
            gateway_transport=httpx.MockTransport(gateway.handle),
        )
        async with serve(app) as client:
            yield Instance(app, client)

    return started


@pytest.fixture
async def cache(redis_url: str) -> AsyncIterator[Redis]:
    client = connect_cache(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def seeded(cache: Redis, registry: FakeRegistry) -> None:
    """The checkpoints the registry holds and has published to Redis."""
    registry.add(GATE, HOSPITAL_GATE, MARKET)
    await seed(cache, GATE, HOSPITAL_GATE, MARKET)


@pytest.fixture
async def instance(settings: CheckinSettings, start: Serve, seeded: None) -> AsyncIterator[Instance]:
    async with start(settings) as running:
        yield running


@pytest.fixture
def client(instance: Instance) -> httpx.AsyncClient:
    return instance.client


@pytest.fixture
async def published(backend: Backend, broker_url: str) -> AsyncIterator[Published]:
    """A queue of this test's own, bound like `ingest.checkins`, so tests on a shared RabbitMQ never see each other's
    events."""
    name = f"test.checkin.{uuid.uuid4().hex[:12]}"
    broker = connect_broker(broker_url)
    try:
        await broker.declare(
            Topology(
                exchanges=(Exchange(CHECKINS_EXCHANGE, ExchangeType.topic),),
                queues=(Queue(name, durable=False),),
                bindings=(Binding(CHECKINS_EXCHANGE, name, "checkin.#"),),
            )
        )
        async with broker.consume(name) as consumer:
            yield Published(consumer)
    finally:
        await broker.close()
        if backend.real:
            async with await aio_pika.connect(broker_url) as connection:
                channel = await connection.channel()
                await channel.queue_delete(name)


@pytest.fixture(scope="session", autouse=True)
async def _leave_ingest_queue_empty(backend: Backend) -> AsyncIterator[None]:
    """No worker drains `ingest.checkins` in these tests: what they published there goes when they are done."""
    yield
    if backend.real:
        async with await aio_pika.connect(backend.broker_url) as connection:
            channel = await connection.channel()
            queue = await channel.get_queue(INGEST_QUEUE, ensure=False)
            await queue.purge()
