"""The Spider fronts of a sharded records store, rendered from the shard map.

A front holds no rows: each table is `ENGINE=SPIDER … PARTITION BY LIST COLUMNS (city_code)`, one partition per node
of the map, each pointing at its own remote table (the default node's too: two partitions on one remote table would
read its rows twice). The write front's servers are the shards' primaries, the read front's their replicas. Spider
forwards no DDL: the backends are migrated first, then each front table is defined again from a backend's own
definition, without its monthly partitions.
"""

from __future__ import annotations

import re

from lianfang.common.shards.map import Node, Role, ShardMap

__all__ = ["front_table", "server_statements"]

_TABLE_END = re.compile(r"\n\)\s*ENGINE=\w+(?P<options>[^\n]*)", re.DOTALL)
_CHARSET = re.compile(r"DEFAULT CHARSET=(\w+)(?: COLLATE=(\w+))?")
_NAME = re.compile(r"CREATE TABLE `(?P<name>[^`]+)`")


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def server_statements(shard_map: ShardMap, role: Role, *, user: str, password: str) -> list[str]:
    """One server per shard, named after it (Spider names it in its errors: `… foreign data source: s2`)."""
    return [
        f"CREATE OR REPLACE SERVER `{shard.name}` FOREIGN DATA WRAPPER mysql OPTIONS ("
        f"HOST {_quoted(shard.address(role).host)}, PORT {shard.address(role).port}, "
        f"USER {_quoted(user)}, PASSWORD {_quoted(password)})"
        for shard in shard_map.shards
    ]


def front_table(create_table: str, shard_map: ShardMap, database: str) -> str:
    """The front's table from a backend's `SHOW CREATE TABLE`: the same columns and keys, its rows on the nodes, each
    node's in `database` (or `database_default`) on its shard's server."""
    name = _NAME.match(create_table)
    end = _TABLE_END.search(create_table)
    if name is None or end is None:
        raise ValueError(f"not a CREATE TABLE that SHOW CREATE TABLE gives: {create_table[:80]!r}")
    charset = _CHARSET.search(end.group("options"))
    table_options = "" if charset is None else f" DEFAULT CHARSET={charset.group(1)}"
    if charset is not None and charset.group(2):
        table_options += f" COLLATE={charset.group(2)}"
    partitions = ",\n ".join(_partition(node, database) for node in shard_map.nodes)
    comment = _quoted(f'wrapper "mysql", table "{name.group("name")}"')
    return (
        f"CREATE OR REPLACE TABLE {create_table[len('CREATE TABLE ') : end.start()]}\n) ENGINE=SPIDER{table_options}"
        f" COMMENT={comment}\n"
        f" PARTITION BY LIST COLUMNS(`city_code`)\n({partitions})"
    )


def _partition(node: Node, database: str) -> str:
    values = "DEFAULT" if node.is_default else "VALUES IN (" + ", ".join(_quoted(city) for city in node.cities) + ")"
    comment = f'srv "{node.shard.name}", database "{node.database(database)}"'
    return f"PARTITION `{node.name}` {values} COMMENT = {_quoted(comment)}"
