"""`lianfang migrate` on a sharded records store: every node's database made where missing and migrated, then both
Spider fronts defined again from the result (Spider forwards no DDL). A front that is not Spider (MyCat,
ShardingSphere) is left alone: its files are its definition."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from lianfang.common.db.migrate import ensure_database, upgrade
from lianfang.common.shards.map import Role, ShardMap
from lianfang.common.shards.spider import front_table, server_statements
from lianfang.common.shards.store import ShardedStore

__all__ = ["migrate_sharded"]

# Alembic's own bookkeeping stays on each backend: the fronts hold the store's tables only.
_BACKEND_ONLY = {"alembic_version"}


async def migrate_sharded(store: ShardedStore, migrations: Path) -> None:
    for url in store.backend_urls().values():
        await ensure_database(url)
        await upgrade(migrations, url)
    tables = await _table_definitions(store.backend_url(store.shard_map.nodes[0]))
    await _define_front(store.write_url, store.shard_map, "primary", tables, store.database)
    if store.read_url != store.write_url:
        await _define_front(store.read_url, store.shard_map, "replica", tables, store.database)


async def _define_front(url: str, shard_map: ShardMap, role: Role, tables: Mapping[str, str], database: str) -> None:
    """A Spider front's servers (the shards' primaries or replicas) and tables."""
    await ensure_database(url)
    parsed = make_url(url)
    engine = create_async_engine(parsed, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            if not await _is_spider(connection):
                return
            for statement in server_statements(
                shard_map, role, user=parsed.username or "", password=parsed.password or ""
            ):
                await connection.exec_driver_sql(statement)
            for definition in tables.values():
                await connection.exec_driver_sql(front_table(definition, shard_map, database))
    finally:
        await engine.dispose()


async def _is_spider(connection: AsyncConnection) -> bool:
    support = await connection.scalar(text("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'SPIDER'"))
    return support in ("YES", "DEFAULT")


async def _table_definitions(url: str) -> dict[str, str]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            names = [str(name) for name in (await connection.execute(text("SHOW TABLES"))).scalars()]
            definitions = {}
            for name in sorted(set(names) - _BACKEND_ONLY):
                row = (await connection.execute(text(f"SHOW CREATE TABLE `{name}`"))).one()
                definitions[name] = str(row[1])
            return definitions
    finally:
        await engine.dispose()
