from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from lianfang.common.db import create_database, retention
from lianfang.common.db.retention import Retention, purge_expired
from lianfang.common.ids import new_id
from lianfang.common.testing import serve
from lianfang.trace.main import create_app
from lianfang.trace.models import AccessAction, AccessLogEntry
from lianfang.trace.settings import TraceSettings

from .conftest import AccessLogStore
from .support import FakeRegistry

pytestmark = pytest.mark.usefixtures("backend")

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def entry(days_ago: float) -> AccessLogEntry:
    return AccessLogEntry(
        id=new_id(),
        at=NOW - timedelta(days=days_ago),
        actor_id=uuid.uuid4(),
        actor_region_id=7,
        actor_region_path="/1/7/",
        action=AccessAction.trajectory,
        query={"phone": "138****5678", "age_days": days_ago},
        subject=None,
        reason=None,
    )


def kept_for(days: int) -> Retention:
    return Retention("access log", AccessLogEntry.id, AccessLogEntry.at, days)


def ages(entries: list[AccessLogEntry]) -> list[float]:
    return sorted(item.query["age_days"] for item in entries)


async def test_entries_older_than_the_retention_go_and_the_rest_stay(
    trace_url: str, access_log: AccessLogStore
) -> None:
    await access_log.add(*(entry(days) for days in (1, 30, 179.9, 180.1, 400)))
    database = create_database(trace_url)
    try:
        assert await purge_expired(database, kept_for(180), now=NOW) == 2
        assert await purge_expired(database, kept_for(180), now=NOW) == 0
    finally:
        await database.dispose()
    assert ages(await access_log.entries()) == [1, 30, 179.9]


async def test_a_long_backlog_goes_in_batches(
    trace_url: str, access_log: AccessLogStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "_BATCH", 2)
    await access_log.add(*(entry(200 + days) for days in range(5)), entry(10))
    database = create_database(trace_url)
    try:
        assert await purge_expired(database, kept_for(180), now=NOW) == 5
    finally:
        await database.dispose()
    assert ages(await access_log.entries()) == [10]


async def test_the_service_purges_at_start_up_with_the_configured_retention(
    settings: TraceSettings, registry: FakeRegistry, access_log: AccessLogStore
) -> None:
    now = datetime.now(UTC)
    await access_log.add(
        *(
            AccessLogEntry(
                id=new_id(),
                at=now - timedelta(days=days),
                actor_id=uuid.uuid4(),
                actor_region_id=1,
                actor_region_path="/1/",
                action=AccessAction.export,
                query={"age_days": days},
            )
            for days in (40, 20)
        )
    )
    app = create_app(
        settings.model_copy(update={"audit_retention_days": 30}),
        registry_transport=httpx.MockTransport(registry.handle),
    )
    async with serve(app):
        for _ in range(100):
            if ages(await access_log.entries()) == [20]:
                break
            await asyncio.sleep(0.05)
    assert ages(await access_log.entries()) == [20]
