"""How far each shard's replica is behind its primary, read at each scrape of the worker's `/metrics`: the worker is
the one process that knows the shard map. Trace reads the replicas (through the read front), so a replica that stops
replicating or falls behind shows admins an old picture."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from lianfang.common.db import Database, create_database
from lianfang.common.shards import ShardedStore
from lianfang.ingest.metrics import ingest_metrics

__all__ = ["ReplicaProbe"]


@dataclass
class ReplicaProbe:
    """One small connection pool per replica (a shard's first node's database on its replica)."""

    replicas: dict[str, Database]

    @classmethod
    def of(cls, store: ShardedStore | None) -> ReplicaProbe:
        if store is None:
            return cls({})
        replicas = {}
        for shard in store.shard_map.shards:
            node = next(node for node in store.shard_map.nodes if node.shard is shard)
            replicas[shard.name] = create_database(store.backend_url(node, "replica"), pool_size=1, max_overflow=0)
        metrics = ingest_metrics()
        for name in replicas:
            metrics.replica_up(name)
            metrics.replica_lag(name)
        return cls(replicas)

    async def read(self) -> None:
        metrics = ingest_metrics()
        for name, replica in self.replicas.items():
            try:
                async with replica.engine.connect() as connection:
                    row = (await connection.execute(text("SHOW SLAVE STATUS"))).mappings().first()
            except Exception:
                metrics.replica_up(name).set(0)
                continue
            running = row is not None and row["Slave_IO_Running"] == "Yes" and row["Slave_SQL_Running"] == "Yes"
            metrics.replica_up(name).set(1 if running else 0)
            behind = row["Seconds_Behind_Master"] if row is not None else None
            if behind is not None:
                metrics.replica_lag(name).set(float(behind))

    async def close(self) -> None:
        for replica in self.replicas.values():
            await replica.dispose()
