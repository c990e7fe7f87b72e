"""The registry purges operation-log entries older than LIANFANG_OPERATION_LOG_RETENTION_DAYS hourly."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from lianfang.common.db import create_database
from lianfang.common.oplog import OperationAction, TargetKind
from lianfang.common.testing import serve
from lianfang.registry.main import create_app
from lianfang.registry.models import OperationEntry
from lianfang.registry.settings import RegistrySettings

from .conftest import no_accounts

pytestmark = pytest.mark.usefixtures("backend")


def entry(name: str, age: timedelta) -> OperationEntry:
    return OperationEntry(
        at=datetime.now(UTC) - age,
        operator_id=uuid.uuid4(),
        operator_username="admin",
        operator_name="管理员",
        operator_region_id=1,
        action=OperationAction.checkpoint_delete,
        target_kind=TargetKind.checkpoint,
        target_id="7",
        target_name=name,
        region_path="/1/",
        summary="",
    )


async def test_entries_past_the_retention_go_at_the_next_purge(settings: RegistrySettings) -> None:
    database = create_database(settings.registry_database_url)
    async with database.sessionmaker.begin() as session:
        session.add_all([entry("expired", timedelta(days=30, minutes=1)), entry("kept", timedelta(days=29, hours=23))])
    app = create_app(
        settings.model_copy(update={"operation_log_retention_days": 30, "log_purge_interval_seconds": 0.1}),
        gateway_transport=httpx.MockTransport(no_accounts),
    )

    async def left() -> list[str]:
        async with database.sessionmaker() as session:
            return list((await session.scalars(select(OperationEntry.target_name))).all())

    async with serve(app):
        for _attempt in range(50):
            if await left() == ["kept"]:
                break
            await asyncio.sleep(0.1)
        assert await left() == ["kept"]
    await database.dispose()
