from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from lianfang.checkin.auth import CachingTokenVerifier
from lianfang.checkin.checkins import router as checkins
from lianfang.checkin.checkins.repository import CheckinRepository
from lianfang.checkin.checkins.service import CheckinService
from lianfang.checkin.checkpoints import router as checkpoints
from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.checkpoints.service import CheckpointPages
from lianfang.checkin.deps import CheckinParts
from lianfang.checkin.errors import StateUnavailable
from lianfang.checkin.limits import ResidentLimiter
from lianfang.checkin.metrics import checkin_metrics
from lianfang.checkin.notifier import DecisionNotifier
from lianfang.checkin.projection.service import Projection
from lianfang.checkin.publisher import EventPublisher
from lianfang.checkin.settings import CheckinSettings
from lianfang.checkin.staff import router as staff
from lianfang.checkin.staff.live import LiveHub
from lianfang.checkin.staff.repository import StaffRepository
from lianfang.checkin.staff.service import StaffService
from lianfang.checkin.state import RedisState, runner_for
from lianfang.common.app import create_service_app
from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.paths import CHECKIN
from lianfang.common.db import create_database
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
) -> FastAPI:
    """The check-in service. `registry_transport` stands in for the network where the registry runs in the same process
    (the all-in-one server) or is faked (tests)."""
    settings = settings or CheckinSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime() as runtime, AsyncExitStack() as stack:
            real_redis = settings.redis_url.startswith(("redis://", "rediss://"))
            timeouts = {"socket_connect_timeout": settings.redis_timeout_seconds} if real_redis else {}
            cache = connect_cache(settings.redis_url, **timeouts, socket_timeout=settings.redis_timeout_seconds)
            stack.push_async_callback(cache.aclose)
            # Its own connection, without a read timeout: it waits for events.
            listener = connect_cache(settings.redis_url, **timeouts, socket_timeout=None)
            stack.push_async_callback(listener.aclose)
            runtime.readiness.append(ReadinessCheck("redis", cache.ping))
            state = RedisState(
                runner_for(
                    settings.redis_url,
                    cache,
                    timeout=settings.redis_timeout_seconds,
                    connections=settings.redis_connections,
                ),
                retry_seconds=settings.redis_retry_seconds,
            )
            stack.push_async_callback(state.close)
            # No topology at start-up: the publisher declares it before its first event, so the service starts while
            # RabbitMQ is down.
            broker = await runtime.broker(settings.broker_url)
            publisher = EventPublisher(broker, events_per_message=settings.events_per_message)
            configs = CheckpointConfigs(
                state,
                runtime.http_client(
                    settings.registry_url,
                    registry_transport,
                    timeout=3.0,
                    headers={SERVICE_HEADER: service_credential(settings.pii_keys)},
                ),
                cache_seconds=settings.config_cache_seconds,
            )
            hub = LiveHub(listener, retry_seconds=settings.redis_retry_seconds)
            stack.push_async_callback(hub.close)
            pii = PiiCipher(settings.pii_keys)
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
            )
            if store is None:
                # Nothing to rebuild from: the state is what it is, from the start (or once Redis is reachable).
                with suppress(StateUnavailable):
                    await projection.check()
            watcher = asyncio.create_task(projection.watch(), name="checkin-projection")
            stack.push_async_callback(_stopped, projection, watcher)
            runtime.readiness.append(ReadinessCheck("gate-state", projection.rebuilt))
            app.state.projection = projection
            repository = CheckinRepository(state)
            notifier = DecisionNotifier(
                runtime.http_client(settings.gateway_url, gateway_transport, timeout=10.0),
                attempts=settings.notify_attempts,
                base_delay=settings.notify_retry_seconds,
            )
            stack.push_async_callback(notifier.close)
            app.state.parts = CheckinParts(
                settings=settings,
                pages=CheckpointPages(configs, repository, pii),
                checkins=CheckinService(
                    checkpoints=configs,
                    repository=repository,
                    publisher=publisher,
                    pii=pii,
                    duplicate_wait_seconds=settings.duplicate_wait_seconds,
                ),
                staff=StaffService(
                    configs=configs,
                    repository=StaffRepository(state),
                    publisher=publisher,
                    hub=hub,
                    heartbeat_seconds=settings.sse_heartbeat_seconds,
                    pii=pii,
                    notifier=notifier,
                ),
                limiter=ResidentLimiter(per_second=settings.checkin_rate_per_second, burst=settings.checkin_burst),
                notifier=notifier,
            )
            app.state.readiness = runtime.readiness
            # On /metrics from the start, at zero: the check-ins', the broker's, Redis's and the projection's rebuild
            # state (0 until a rebuild sets it).
            projection_metrics()
            checkin_metrics()
            redis_metrics()
            broker_metrics()
            _settle_heap()
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
    for router in (checkins.router, checkpoints.router, staff.router):
        app.include_router(router)
    app.add_direct_route("POST", f"{PREFIX}/checkins", checkins.create_checkin)
    _document(app, checkins.MODELS_OUTSIDE_ROUTES)
    return app


async def _stopped(projection: Projection, watcher: asyncio.Task[None]) -> None:
    """The watcher ends after the check or rebuild it is in (a rebuild holds a lock that another instance would wait
    out); cancelled if that takes long."""
    projection.stop()
    done, _ = await asyncio.wait([watcher], timeout=5)
    if not done:
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher


def _settle_heap() -> None:
    """What start-up loaded (FastAPI, pydantic, SQLAlchemy's and fakeredis's modules: some 125,000 objects) never goes
    away, yet every full collection walked it: 90 ms pauses, several a minute at check-in rates. Frozen, it is skipped;
    and the youngest generation is collected every 7,000 allocations instead of 700, since a check-in makes about a
    thousand short-lived objects and a collection costs the same fixed part however few it frees."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(7_000, middle, oldest)


def _document(app: FastAPI, models: Iterable[type[BaseModel]]) -> None:
    """Adds to the OpenAPI components the schemas of bodies that routes read by hand."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
