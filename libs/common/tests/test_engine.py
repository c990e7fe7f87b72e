"""The connection pool on MariaDB: what a connection costs on its way back to the pool and out of it again."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from lianfang.common.db import create_database, engine
from lianfang.common.testing.plugin import Backend


async def _status(connection: AsyncConnection, variable: str) -> int:
    row = (await connection.execute(text(f"SHOW SESSION STATUS LIKE '{variable}'"))).one()
    return int(row[1])


async def _rollbacks(connection: AsyncConnection) -> int:
    return await _status(connection, "Com_rollback")


def _mariadb(backend: Backend) -> str:
    if not backend.real:
        pytest.skip("the pool's handling of its connections is MariaDB's")
    return os.environ["LIANFANG_TEST_MYSQL_URL"]


async def test_a_committed_connection_goes_back_without_another_round_trip(backend: Backend) -> None:
    """After a commit the server has no transaction open: the pool sends no ROLLBACK (one round trip a request), and
    the next request on that connection still reads what others committed since."""
    url = _mariadb(backend)
    metadata = MetaData()
    table = Table(f"pool_reset_{uuid.uuid4().hex[:8]}", metadata, Column("n", Integer))
    database = create_database(url, pool_size=1, max_overflow=0)
    other = create_database(url)
    try:
        async with other.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(insert(table).values(n=1))
        async with database.engine.connect() as connection:
            before = await _rollbacks(connection)
            assert await connection.scalar(select(table.c.n)) == 1
            await connection.commit()
        async with other.engine.begin() as connection:
            await connection.execute(update(table).values(n=2))
        async with database.engine.connect() as connection:
            assert await _rollbacks(connection) == before
            assert await connection.scalar(select(table.c.n)) == 2
    finally:
        async with other.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
        await database.dispose()
        await other.dispose()


async def test_a_connection_back_from_a_request_moments_ago_is_used_without_a_ping(backend: Backend) -> None:
    database = create_database(_mariadb(backend), pool_size=1, max_overflow=0)
    try:
        async with database.engine.connect() as connection:
            before = await _status(connection, "Com_admin_commands")
        for _ in range(3):
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        async with database.engine.connect() as connection:
            assert await _status(connection, "Com_admin_commands") == before
    finally:
        await database.dispose()


async def test_a_connection_the_server_closed_while_it_was_idle_is_replaced_before_use(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server restart or a network cut while the pool was idle: the next request gets a live connection, no error."""
    monkeypatch.setattr(engine, "IDLE_PING_SECONDS", 0.0)
    url = _mariadb(backend)
    database = create_database(url, pool_size=1, max_overflow=0)
    other = create_database(url)
    try:
        async with database.engine.connect() as connection:
            idle = await connection.scalar(text("SELECT CONNECTION_ID()"))
        async with other.engine.connect() as connection:
            await connection.execute(text(f"KILL {int(idle)}"))
        async with database.engine.connect() as connection:
            assert await connection.scalar(text("SELECT CONNECTION_ID()")) != idle
    finally:
        await database.dispose()
        await other.dispose()
