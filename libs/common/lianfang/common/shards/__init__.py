"""The records store sharded by city: the map, the Spider fronts rendered from it, and the store's backends."""

from lianfang.common.shards.map import DEFAULT_NODE, Address, Node, Role, Shard, ShardMap, ShardMapError
from lianfang.common.shards.spider import front_table, server_statements
from lianfang.common.shards.store import ReplicaBehind, ShardedStore

__all__ = [
    "DEFAULT_NODE",
    "Address",
    "Node",
    "ReplicaBehind",
    "Role",
    "Shard",
    "ShardMap",
    "ShardMapError",
    "ShardedStore",
    "front_table",
    "server_statements",
]
