from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from lianfang.checkin.auth import CachingTokenVerifier
from lianfang.checkin.checkins import router as checkins
from lianfang.checkin.checkins.repository import CheckinRepository
from lianfang.checkin.checkins.schemas import CheckinCreate
from lianfang.checkin.checkins.service import CheckinService
from lianfang.checkin.checkpoints import router as checkpoints
from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.checkpoints.service import CheckpointPages
from lianfang.checkin.errors import StateUnavailable
from lianfang.checkin.limits import ResidentLimiter
from lianfang.checkin.metrics import checkin_metrics
from lianfang.checkin.notifier import Notifier
from lianfang.checkin.projection.service import Projection
from lianfang.checkin.publisher import EventPublisher
from lianfang.checkin.reminders import CheckoutReminders
from lianfang.checkin.settings import CheckinSettings
from lianfang.checkin.staff import router as staff
from lianfang.checkin.staff.live import LiveHub
from lianfang.checkin.staff.names import StaffNames
from lianfang.checkin.staff.reports import GateReportsClient
from lianfang.checkin.staff.repository import StaffRepository
from lianfang.checkin.staff.service import StaffService
from lianfang.checkin.state import RedisState, runner_for
from lianfang.common.app import add_routers, create_service_app
from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.cache import connect_cache
from lianfang.common.cards import PersonalCards
from lianfang.common.contracts.paths import CHECKIN
from lianfang.common.db import create_database
from lianfang.common.messaging import Broker
from lianfang.common.metrics import broker_metrics, projection_metrics, redis_metrics
from lianfang.common.observability import ReadinessCheck
from lianfang.common.pii import PiiCipher
from lianfang.common.runtime import Runtime

__all__ = ["PREFIX", "create_app"]

PREFIX = CHECKIN


def create_app(
    settings: CheckinSettings | None = None,
    *,
    registry_transport: httpx.AsyncBaseTransport | None = None,
    gateway_transport: httpx.AsyncBaseTransport | None = None,
    trace_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The check-in service. The transports stand in for the network where the registry, the gateway and trace run in
    the same process (the all-in-one server) or are faked (tests)."""
    settings = settings or CheckinSettings()
    transports = _Transports(registry=registry_transport, gateway=gateway_transport, trace=trace_transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime() as runtime, AsyncExitStack() as stack:
            await _start(app, runtime, stack, settings, transports)
            yield

    app = create_service_app(
        service="checkin", prefix=PREFIX, title="Lianfang 登记", settings=settings, lifespan=lifespan
    )
    app.state.token_verifier = CachingTokenVerifier(
        settings.jwt_public_key,
        issuer=settings.jwt_issuer,
        remember_seconds=settings.verified_token_seconds,
        revocations=app.state.revocations,
    )
    add_routers(app, checkins.router, checkpoints.router, staff.router)
    app.add_direct_route("POST", f"{PREFIX}/checkins", checkins.create_checkin, body=CheckinCreate)
    return app


@dataclass(frozen=True)
class _Transports:
    registry: httpx.AsyncBaseTransport | None
    gateway: httpx.AsyncBaseTransport | None
    trace: httpx.AsyncBaseTransport | None


async def _start(
    app: FastAPI, runtime: Runtime, stack: AsyncExitStack, settings: CheckinSettings, transports: _Transports
) -> None:
    """Everything the service runs on, built once; `stack` closes it in the reverse order."""
    state, listener = _redis(runtime, stack, settings)
    # No topology at start-up: the publisher declares it before its first event, so the service starts while RabbitMQ
    # is down.
    broker = await runtime.broker(settings.broker_url)
    publisher = EventPublisher(broker, events_per_message=settings.events_per_message)
    registry = runtime.http_client(
        settings.registry_url,
        transports.registry,
        timeout=3.0,
        headers={SERVICE_HEADER: service_credential(settings.pii_keys)},
    )
    configs = CheckpointConfigs(state, registry, cache_seconds=settings.config_cache_seconds)
    hub = LiveHub(listener, retry_seconds=settings.redis_retry_seconds)
    stack.push_async_callback(hub.close)
    pii = PiiCipher(settings.pii_keys)
    app.state.projection = await _projection(runtime, stack, settings, state, broker, publisher, configs, pii)
    gateway = runtime.http_client(settings.gateway_url, transports.gateway, timeout=10.0)
    app.state.notifier = notifier = _notifier(stack, settings, gateway)
    app.state.reminders = _reminders(stack, settings, state, notifier)
    trace = runtime.http_client(settings.trace_url, transports.trace)
    _services(app, settings, state, configs, publisher, hub, pii, notifier, gateway, trace)
    app.state.readiness = runtime.readiness
    # On /metrics from the start, at zero: the check-ins', the broker's, Redis's and the projection's rebuild state (0
    # until a rebuild sets it).
    projection_metrics()
    checkin_metrics()
    redis_metrics()
    broker_metrics()
    _settle_heap()


def _services(
    app: FastAPI,
    settings: CheckinSettings,
    state: RedisState,
    configs: CheckpointConfigs,
    publisher: EventPublisher,
    hub: LiveHub,
    pii: PiiCipher,
    notifier: Notifier,
    gateway: httpx.AsyncClient,
    trace: httpx.AsyncClient,
) -> None:
    """The services, built once and handed to the routes by the aliases next to them (`Checkins`, `Pages`,
    `StaffDuty`): the hot path builds nothing per request."""
    cards = PersonalCards(settings.pii_keys)
    repository = CheckinRepository(state)
    app.state.pages = CheckpointPages(configs, repository, pii)
    app.state.checkins = CheckinService(
        checkpoints=configs,
        repository=repository,
        publisher=publisher,
        pii=pii,
        cards=cards,
        duplicate_wait_seconds=settings.duplicate_wait_seconds,
        stay_minutes=settings.stay_for_kind(),
    )
    app.state.staff = StaffService(
        configs=configs,
        repository=StaffRepository(state),
        publisher=publisher,
        hub=hub,
        heartbeat_seconds=settings.sse_heartbeat_seconds,
        pii=pii,
        cards=cards,
        notifier=notifier,
        names=StaffNames(gateway),
        reports=GateReportsClient(trace),
    )
    # Read by the direct check-in route.
    app.state.limiter = ResidentLimiter(per_second=settings.checkin_rate_per_second, burst=settings.checkin_burst)


def _redis(runtime: Runtime, stack: AsyncExitStack, settings: CheckinSettings) -> tuple[RedisState, Redis]:
    """The gate state on Redis, and a connection of its own for the staff views' live events."""
    real_redis = settings.redis_url.startswith(("redis://", "rediss://"))
    timeouts = {"socket_connect_timeout": settings.redis_timeout_seconds} if real_redis else {}
    cache = connect_cache(settings.redis_url, **timeouts, socket_timeout=settings.redis_timeout_seconds)
    stack.push_async_callback(cache.aclose)
    # Without a read timeout: it waits for events.
    listener = connect_cache(settings.redis_url, **timeouts, socket_timeout=None)
    stack.push_async_callback(listener.aclose)
    runtime.readiness.append(ReadinessCheck("redis", cache.ping))
    state = RedisState(
        runner_for(
            settings.redis_url, cache, timeout=settings.redis_timeout_seconds, connections=settings.redis_connections
        ),
        retry_seconds=settings.redis_retry_seconds,
    )
    stack.push_async_callback(state.close)
    return state, listener


async def _projection(
    runtime: Runtime,
    stack: AsyncExitStack,
    settings: CheckinSettings,
    state: RedisState,
    broker: Broker,
    publisher: EventPublisher,
    configs: CheckpointConfigs,
    pii: PiiCipher,
) -> Projection:
    """The gate state kept in step with the records store, rebuilt from it when Redis lost it; watched from now on."""
    store = None
    if settings.records_database_url:
        store = create_database(settings.records_database_url, pool_size=1, max_overflow=1)
        stack.push_async_callback(store.dispose)
    projection = Projection(
        state,
        store=store,
        broker=broker,
        publisher=publisher,
        configs=configs,
        pii=pii,
        poll_seconds=settings.projection_poll_seconds,
        settle_seconds=settings.rebuild_settle_seconds,
        stay_minutes=settings.stay_for_kind(),
    )
    if store is None:
        # Nothing to rebuild from: the state is what it is, from the start (or once Redis is reachable).
        with suppress(StateUnavailable):
            await projection.check()
    watcher = asyncio.create_task(projection.watch(), name="checkin-projection")
    stack.push_async_callback(_stopped, projection, watcher)
    runtime.readiness.append(ReadinessCheck("gate-state", projection.rebuilt))
    return projection


def _notifier(stack: AsyncExitStack, settings: CheckinSettings, gateway: httpx.AsyncClient) -> Notifier:
    """Messages to residents through the gateway, retried apart from the request that caused them."""
    notifier = Notifier(
        gateway,
        attempts=settings.notify_attempts,
        base_delay=settings.notify_retry_seconds,
        service_headers={SERVICE_HEADER: service_credential(settings.pii_keys)},
    )
    stack.push_async_callback(notifier.close)
    return notifier


def _reminders(
    stack: AsyncExitStack, settings: CheckinSettings, state: RedisState, notifier: Notifier
) -> CheckoutReminders:
    reminders = CheckoutReminders(state, notifier, poll_seconds=settings.reminder_poll_seconds)
    reminding = asyncio.create_task(reminders.run(), name="checkin-reminders")
    stack.push_async_callback(_cancelled, reminding)
    return reminders


async def _stopped(projection: Projection, watcher: asyncio.Task[None]) -> None:
    """The watcher ends after the check or rebuild it is in (a rebuild holds a lock that another instance would wait
    out); cancelled if that takes long."""
    projection.stop()
    done, _ = await asyncio.wait([watcher], timeout=5)
    if not done:
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


def _settle_heap() -> None:
    """What start-up loaded (FastAPI, pydantic, SQLAlchemy's and fakeredis's modules: some 125,000 objects) never goes
    away, yet every full collection walked it: 90 ms pauses, several a minute at check-in rates. Frozen, it is skipped;
    and the youngest generation is collected every 7,000 allocations instead of 700, since a check-in makes about a
    thousand short-lived objects and a collection costs the same fixed part however few it frees."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(7_000, middle, oldest)
