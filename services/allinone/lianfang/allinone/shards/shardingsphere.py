"""ShardingSphere-Proxy 5.4's configuration of the sharded records store, rendered from the shard map:
`database-sharding.yaml` (a primary and a replica data source per node, READWRITE_SPLITTING over each pair, SHARDING of
every table on `city_code` by the map) and `global.yaml` (XA transactions, the users).

- The map is an INLINE expression (Groovy): a city → data source map, the default node for any other city.
- `transactionalReadQueryStrategy: DYNAMIC`: trace reads inside a transaction (one snapshot per request), which would
  otherwise all go to the primaries.
- XA needs a transaction manager (Atomikos, bundled) and the MySQL JDBC driver, which is not: put
  mysql-connector-j in `ext-lib/`.
- Passwords are `$${…::}` placeholders, which the proxy fills from the environment.
"""

from __future__ import annotations

import json

from lianfang.common.shards import Node, ShardMap

__all__ = ["data_source_group", "shardingsphere_files"]

_ALGORITHM = "city_code_map"
_HEADER = "# Rendered from deploy/shards.toml by `lianfang shards render`: edit the map, not this file.\n"


def data_source_group(node: Node) -> str:
    return f"ds_{node.name}"


def _yaml(value: str) -> str:
    """A YAML scalar in double quotes (JSON's string syntax is YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def shardingsphere_files(shard_map: ShardMap, tables: list[str]) -> dict[str, str]:
    return {"database-sharding.yaml": _database(shard_map, tables), "global.yaml": _global()}


def _database(shard_map: ShardMap, tables: list[str]) -> str:
    lines = [_HEADER.rstrip("\n"), f"databaseName: {_yaml(shard_map.database)}", "dataSources:"]
    for node in shard_map.nodes:
        for role in ("primary", "replica"):
            address = node.shard.address(role)
            database = node.database(shard_map.database)
            lines += [
                f"  {data_source_group(node)}_{role}:",
                f"    url: {_yaml(f'jdbc:mysql://{address}/{database}?useSSL=false&characterEncoding=utf8')}",
                "    username: lianfang",
                '    password: "$${LIANFANG_MYSQL_PASSWORD::}"',
                "    maxPoolSize: 50",
                "    minPoolSize: 1",
            ]
    lines += ["rules:", "- !READWRITE_SPLITTING", "  dataSourceGroups:"]
    for node in shard_map.nodes:
        group = data_source_group(node)
        lines += [
            f"    {group}:",
            f"      writeDataSourceName: {group}_primary",
            f"      readDataSourceNames: [{group}_replica]",
            "      transactionalReadQueryStrategy: DYNAMIC",
            "      loadBalancerName: round_robin",
        ]
    lines += ["  loadBalancers:", "    round_robin:", "      type: ROUND_ROBIN", "- !SHARDING", "  tables:"]
    for table in tables:
        lines += [
            f"    {table}:",
            "      actualDataNodes: " + ",".join(f"{data_source_group(node)}.{table}" for node in shard_map.nodes),
            "      databaseStrategy:",
            "        standard:",
            "          shardingColumn: city_code",
            f"          shardingAlgorithmName: {_ALGORITHM}",
        ]
    lines += [
        "  shardingAlgorithms:",
        f"    {_ALGORITHM}:",
        "      type: INLINE",
        "      props:",
        f"        algorithm-expression: {_yaml(_expression(shard_map))}",
        "",
    ]
    return "\n".join(lines)


def _expression(shard_map: ShardMap) -> str:
    pairs = ", ".join(f"'{city}': '{data_source_group(node)}'" for node in shard_map.nodes for city in node.cities)
    default = data_source_group(shard_map.nodes[-1])
    return f"${{[{pairs}].get(city_code) ?: '{default}'}}"


def _global() -> str:
    return _HEADER + "\n".join(
        [
            "authority:",
            "  users:",
            "    - user: lianfang@%",
            '      password: "$${LIANFANG_SHARDINGSPHERE_PASSWORD::}"',
            "  privilege:",
            "    type: ALL_PERMITTED",
            "transaction:",
            "  defaultType: XA",
            "  providerType: Atomikos",
            "props:",
            "  sql-show: false",
            "  proxy-frontend-database-protocol-type: MySQL",
            "",
        ]
    )
