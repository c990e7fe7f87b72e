"""A sharded records store as the application reaches it: the write front, the read front, and each node's database
on its shard's primary (migrations, the monthly partitions, retention) or replica.

The backends are reached with the credentials of the front's URL, at the map's addresses, in the database the front's
URL names (`…_default` for the default node).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from lianfang.common.db.migrate import ensure_database, upgrade
from lianfang.common.shards.map import Node, Role, ShardMap
from lianfang.common.shards.spider import front_table, server_statements

__all__ = ["ReplicaBehind", "ShardedStore"]

# Alembic's own bookkeeping stays on each backend: the fronts hold the store's tables only.
_BACKEND_ONLY = {"alembic_version"}


class ReplicaBehind(RuntimeError):
    """A replica did not reach its primary's position in time."""


@dataclass(frozen=True, slots=True)
class ShardedStore:
    shard_map: ShardMap
    write_url: str
    # The read front: the write front itself when there is none.
    read_url: str

    @property
    def database(self) -> str:
        name = make_url(self.write_url).database
        if not name:
            raise ValueError("the records store's URL names no database")
        return name

    def backend_url(self, node: Node, role: Role = "primary") -> str:
        address = node.shard.address(role)
        url = make_url(self.write_url).set(host=address.host, port=address.port, database=node.database(self.database))
        return url.render_as_string(hide_password=False)

    def backend_urls(self, role: Role = "primary") -> dict[str, str]:
        """Each node's database by node name."""
        return {node.name: self.backend_url(node, role) for node in self.shard_map.nodes}

    async def migrate(self, migrations: Path) -> None:
        """Every node's database made where missing and migrated, then both fronts defined again from the result."""
        for url in self.backend_urls().values():
            await ensure_database(url)
            await upgrade(migrations, url)
        tables = await _table_definitions(self.backend_url(self.shard_map.nodes[0]))
        await self._define_front(self.write_url, "primary", tables)
        if self.read_url != self.write_url:
            await self._define_front(self.read_url, "replica", tables)

    async def _define_front(self, url: str, role: Role, tables: Mapping[str, str]) -> None:
        """A Spider front's servers and tables; nothing on another engine (MyCat, ShardingSphere: their own files)."""
        await ensure_database(url)
        parsed = make_url(url)
        engine = create_async_engine(parsed, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                if not await _is_spider(connection):
                    return
                for statement in server_statements(
                    self.shard_map, role, user=parsed.username or "", password=parsed.password or ""
                ):
                    await connection.exec_driver_sql(statement)
                for definition in tables.values():
                    await connection.exec_driver_sql(front_table(definition, self.shard_map, self.database))
        finally:
            await engine.dispose()

    async def replicas_caught_up(self, within_seconds: float = 30.0) -> None:
        """Wait until every replica has applied what its primary had written when this was called."""
        for shard in self.shard_map.shards:
            node = next(node for node in self.shard_map.nodes if node.shard is shard)
            position = await _scalar(self.backend_url(node), "SELECT @@gtid_binlog_pos")
            if not position:
                continue
            reached = await _scalar(
                self.backend_url(node, "replica"), f"SELECT MASTER_GTID_WAIT('{position}', {float(within_seconds)})"
            )
            if str(reached) != "0":
                raise ReplicaBehind(f"the replica of {shard.name} did not reach {position} in {within_seconds:.0f} s")


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


async def _scalar(url: str, sql: str) -> object:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with asyncio.timeout(60), engine.connect() as connection:
            return await connection.scalar(text(sql))
    finally:
        await engine.dispose()
