"""The access log's own Alembic history: it builds what the models describe, and goes down and up again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from lianfang.common.db import Database, create_database
from lianfang.common.db.migrate import alembic_config
from lianfang.common.testing.plugin import Backend
from lianfang.trace.main import MIGRATIONS
from lianfang.trace.models import TraceBase


@pytest.fixture
async def fresh(backend: Backend) -> AsyncIterator[Database]:
    database = create_database(await backend.create_database(f"trace{uuid.uuid4().hex[:8]}", MIGRATIONS))
    yield database
    await database.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, TraceBase.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_migrations_build_what_the_models_describe(fresh: Database) -> None:
    async with fresh.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_the_history_goes_down_and_up_again(fresh: Database) -> None:
    config = alembic_config(MIGRATIONS, fresh.engine.url.render_as_string(hide_password=False))
    await asyncio.to_thread(command.downgrade, config, "base")
    async with fresh.engine.connect() as connection:
        assert await connection.run_sync(_tables) == {"alembic_version"}
    await asyncio.to_thread(command.upgrade, config, "head")
    async with fresh.engine.connect() as connection:
        assert await connection.run_sync(_tables) == {"alembic_version", "access_log", "alert_events"}
