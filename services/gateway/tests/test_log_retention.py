"""The login log is kept as long as the check-ins (LIANFANG_RETENTION_DAYS), the operation log longer
(LIANFANG_OPERATION_LOG_RETENTION_DAYS): the gateway purges what is older hourly."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lianfang.common.db import create_database
from lianfang.common.oplog import OperationAction, TargetKind
from lianfang.gateway.models import LoginEvent, LoginOutcome, OperationEntry
from lianfang.gateway.settings import GatewaySettings

from .conftest import gateway_settings, start_gateway

pytestmark = pytest.mark.usefixtures("backend")


def login_event(username: str, age: timedelta) -> LoginEvent:
    return LoginEvent(at=datetime.now(UTC) - age, username=username, outcome=LoginOutcome.failed, address="127.0.0.1")


def operation(name: str, age: timedelta) -> OperationEntry:
    return OperationEntry(
        at=datetime.now(UTC) - age,
        operator_id=uuid.uuid4(),
        operator_username="admin",
        operator_name="管理员",
        operator_region_id=1,
        action=OperationAction.account_create,
        target_kind=TargetKind.account,
        target_id=None,
        target_name=name,
        region_path="/1/",
        summary="",
    )


async def test_entries_past_their_retention_go_at_the_next_purge(accounts_url: str, redis_url: str) -> None:
    database = create_database(accounts_url)
    async with database.sessionmaker.begin() as session:
        session.add_all(
            [
                login_event("expired", timedelta(days=10, minutes=1)),
                login_event("kept", timedelta(days=9, hours=23)),
                operation("expired", timedelta(days=60, minutes=1)),
                operation("kept", timedelta(days=59, hours=23)),
            ]
        )
    settings = gateway_settings(
        accounts_url, redis_url, retention_days=10, operation_log_retention_days=60, log_purge_interval_seconds=0.1
    )

    async def left() -> tuple[list[str], list[str]]:
        async with database.sessionmaker() as session:
            logins = (await session.scalars(select(LoginEvent.username).where(LoginEvent.username != "admin"))).all()
            operations = (await session.scalars(select(OperationEntry.target_name))).all()
        return list(logins), list(operations)

    async for _ in start_gateway(settings):
        for _attempt in range(50):
            if await left() == (["kept"], ["kept"]):
                break
            await asyncio.sleep(0.1)
        assert await left() == (["kept"], ["kept"])
    await database.dispose()


def test_the_operation_log_is_kept_half_a_year_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GatewaySettings().operation_log_retention_days == 180
    monkeypatch.setenv("LIANFANG_OPERATION_LOG_RETENTION_DAYS", "365")
    assert GatewaySettings().operation_log_retention_days == 365
