"""The connection pool on MariaDB: what a connection costs on its way back to the pool."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from lianfang.common.db import create_database
from lianfang.common.testing.plugin import Backend


async def _rollbacks(connection: AsyncConnection) -> int:
    row = (await connection.execute(text("SHOW SESSION STATUS LIKE 'Com_rollback'"))).one()
    return int(row[1])


async def test_a_committed_connection_goes_back_without_another_round_trip(backend: Backend) -> None:
    """After a commit the server has no transaction open: the pool sends no ROLLBACK (one round trip a request), and
    the next request on that connection still reads what others committed since."""
    if not backend.real:
        pytest.skip("the pool's reset on return is MariaDB's")
    url = os.environ["LIANFANG_TEST_MYSQL_URL"]
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
