"""A sharded records store as the application reaches it: the write front, the read front, and each node's database
on its shard's primary (migrations, the monthly partitions, retention) or replica.

The backends are reached with the credentials of the front's URL, at the map's addresses, in the database the front's
URL names (`…_default` for the default node).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lianfang.common.shards.map import Node, Role, ShardMap

__all__ = ["ReplicaBehind", "ShardedStore"]


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

    async def replicas_caught_up(self, within_seconds: float = 30.0) -> None:
        """Wait until every replica has applied what its primary had written when this was called."""
        for shard in self.shard_map.shards:
            node = next(node for node in self.shard_map.nodes if node.shard is shard)
            position = await _scalar(self.backend_url(node), "SELECT @@gtid_binlog_pos")
            if not position:
                continue
            reached = await _scalar(
                self.backend_url(node, "replica"),
                f"SELECT MASTER_GTID_WAIT('{position}', {float(within_seconds)})",
                seconds=within_seconds + _ANSWER_SECONDS,
            )
            if str(reached) != "0":
                raise ReplicaBehind(f"the replica of {shard.name} did not reach {position} in {within_seconds:.0f} s")


# How long a node may take to answer a query, on top of any wait the query asks for itself.
_ANSWER_SECONDS: Final = 60.0


async def _scalar(url: str, sql: str, *, seconds: float = _ANSWER_SECONDS) -> object:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            return await connection.scalar(text(sql))
    finally:
        await engine.dispose()
