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
from lianfang.common.auth.service import SERVICE_HEADER
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.messaging import (
    CHECKINS_EXCHANGE,
    Binding,
    Exchange,
    ExchangeType,
    Queue,
    Topology,
    connect_broker,
)
from lianfang.common.testing import serve
from lianfang.common.testing.fake_redis import tcp_fake_redis
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
    """The gateway as the check-in service asks it: decision notices after a decision (with the keeper's token),
    check-out reminders when a stay is over (with the service credential); `failures` answers the next notices with
    that status. Every staff member is 王卫 (`/api/auth/me`) unless `down`."""

    notices: list[tuple[Json, str]] = field(default_factory=list)
    reminders: list[tuple[Json, str]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    down: bool = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("gateway unreachable", request=request)
        if request.url.path == "/api/auth/me":
            return httpx.Response(200, json={"name": "王卫", "role": "staff"})
        if self.failures:
            return httpx.Response(self.failures.pop(0), json={"code": "wechat_unavailable"})
        if request.url.path == "/api/auth/internal/notifications/checkout-reminder":
            self.reminders.append((json.loads(request.content), request.headers.get(SERVICE_HEADER, "")))
        else:
            assert request.url.path == "/api/auth/internal/notifications/decision"
            self.notices.append((json.loads(request.content), request.headers["Authorization"]))
        return httpx.Response(200, json={"sent": True, "reason": "sent"})


@dataclass
class FakeTrace:
    """Trace as the check-in service asks it which fevers were sent to the alerts: `reports` by record id (each a
    mark's JSON), the asks with their token; unreachable when `down`."""

    reports: dict[str, Json] = field(default_factory=dict)
    asked: list[tuple[list[str], str]] = field(default_factory=list)
    down: bool = False

    def report(self, record_id: str) -> Json:
        """The record sent to the alerts from the board (处置中, 已劝返): its mark as trace answers it."""
        mark = {"record_id": record_id, "state_label": "处置中", "note": "已劝返", "at": "2026-12-06T08:00:00+08:00"}
        self.reports[record_id] = mark
        return mark

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("trace unreachable", request=request)
        assert request.url.path == "/api/trace/alerts/gate-reports/search"
        record_ids: list[str] = json.loads(request.content)["record_ids"]
        self.asked.append((record_ids, request.headers["Authorization"]))
        return httpx.Response(200, json={"items": [self.reports[id] for id in record_ids if id in self.reports]})


def checkin_settings(redis_url: str, broker_url: str, **overrides: Any) -> CheckinSettings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "broker_url": broker_url,
        "registry_url": REGISTRY_URL,
        "gateway_url": "http://gateway.test",
        "trace_url": "http://trace.test",
        "sse_heartbeat_seconds": 0.2,
        # Without real servers Redis is served by the test's own event loop (`redis_url`): a step that holds the loop
        # for a moment (a picture decoded) delays the replies as a Redis of its own would not.
        "redis_timeout_seconds": 2.0,
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
async def redis_url(redis_url: str) -> AsyncIterator[str]:
    """Without real servers, a fresh fakeredis behind its TCP server: the service then runs the pipelined client it runs
    in production (`memory://` would give it redis-py's, which the all-in-one tests run)."""
    if not redis_url.startswith("memory://"):
        yield redis_url
        return
    async with tcp_fake_redis() as url:
        yield url


@pytest.fixture
def settings(redis_url: str, broker_url: str) -> CheckinSettings:
    return checkin_settings(redis_url, broker_url)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def trace() -> FakeTrace:
    return FakeTrace()


@pytest.fixture
def start(registry: FakeRegistry, gateway: FakeGateway, trace: FakeTrace) -> Serve:
    """Another instance of the service, on the given settings, the same fake registry, gateway and trace behind it."""

    @asynccontextmanager
    async def started(settings: CheckinSettings) -> AsyncIterator[Instance]:
        app = create_app(
            settings,
            registry_transport=httpx.MockTransport(registry.handle),
            gateway_transport=httpx.MockTransport(gateway.handle),
            trace_transport=httpx.MockTransport(trace.handle),
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
