"""`lianfang rebuild-state`: the gate's state rebuilt from the records store now, by a process of its own."""

from __future__ import annotations

import httpx

from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.projection.service import Projection, Rebuilt
from lianfang.checkin.publisher import EventPublisher
from lianfang.checkin.settings import CheckinSettings
from lianfang.checkin.state import RedisState, runner_for
from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.cache import connect_cache
from lianfang.common.db import create_database
from lianfang.common.messaging import connect_broker
from lianfang.common.pii import PiiCipher

__all__ = ["rebuild_state"]


async def rebuild_state(
    settings: CheckinSettings, *, registry_transport: httpx.AsyncBaseTransport | None = None
) -> Rebuilt | None:
    """Rebuilds whatever the epoch says; None when another rebuild holds the lock. Running check-in instances answer
    503 meanwhile, as after a loss."""
    if not settings.records_database_url:
        raise ValueError("LIANFANG_RECORDS_DATABASE_URL is unset: there is no records store to rebuild from")
    cache = connect_cache(settings.redis_url, socket_timeout=settings.redis_timeout_seconds)
    state = RedisState(
        runner_for(settings.redis_url, cache, timeout=settings.redis_timeout_seconds, connections=1),
        retry_seconds=0,
    )
    store = create_database(settings.records_database_url, pool_size=1, max_overflow=1)
    broker = connect_broker(settings.broker_url)
    registry = httpx.AsyncClient(
        base_url=settings.registry_url,
        transport=registry_transport,
        timeout=5.0,
        headers={SERVICE_HEADER: service_credential(settings.pii_keys)},
    )
    try:
        projection = Projection(
            state,
            store=store,
            broker=broker,
            publisher=EventPublisher(broker, events_per_message=1),
            configs=CheckpointConfigs(state, registry, cache_seconds=settings.config_cache_seconds),
            pii=PiiCipher(settings.pii_keys),
            poll_seconds=settings.projection_poll_seconds,
            settle_seconds=settings.rebuild_settle_seconds,
            stay_minutes=settings.stay_for_kind(),
        )
        return await projection.rebuild()
    finally:
        await registry.aclose()
        await broker.close()
        await store.dispose()
        await state.close()
        await cache.aclose()
