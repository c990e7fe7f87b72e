"""MyCat 1.6's configuration of the sharded records store, rendered from the shard map: `schema.xml` (a dataHost per
shard, its primary the writeHost and its replica a readHost; a dataNode per node), `rule.xml` (`city_code` by
`PartitionByFileMap` over `partition-city-code.txt`, string keys, the default node for any other city) and
`server.xml` (the users).

Choices that are not MyCat's defaults, each for a reason:
- `balance="1"`: reads go to the readHosts (读写分离); `switchType="2"` with `show slave status` as heartbeat takes a
  replica out of the reads once it lags more than `slaveThreshold` seconds, and fails the writes over on its own
  replication state.
- No `sqlMaxLimit` on the schema and `needAddLimit="false"` on every table: otherwise MyCat adds `LIMIT 100` to every
  SELECT without one, and an export stops at 100 rows without a word.
- Passwords are `${…}` placeholders for the deployment to fill (envsubst): none belongs in the repository.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from lianfang.common.shards import Node, Shard, ShardMap

__all__ = ["MAP_FILE", "RULE", "SLAVE_THRESHOLD_SECONDS", "mycat_files"]

MAP_FILE = "partition-city-code.txt"
RULE = "lianfang-city-code"
_FUNCTION = "lianfang-city-code-map"
# Seconds a replica may lag before switchType=2 stops reading from it: the bound docs/DESIGN-NOTES.md states.
SLAVE_THRESHOLD_SECONDS = 10


def _data_node(node: Node) -> str:
    return f"dn_{node.name}"


def mycat_files(shard_map: ShardMap, tables: list[str]) -> dict[str, str]:
    """The files of MyCat's `conf/` folder by name."""
    return {
        "schema.xml": _schema(shard_map, tables),
        "rule.xml": _rule(shard_map),
        MAP_FILE: _map_file(shard_map),
        "server.xml": _server(shard_map),
    }


def _schema(shard_map: ShardMap, tables: list[str]) -> str:
    nodes = ",".join(_data_node(node) for node in shard_map.nodes)
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE mycat:schema SYSTEM "schema.dtd">',
        "<!-- Rendered from deploy/shards.toml by `lianfang shards render`: edit the map, not this file. -->",
        '<mycat:schema xmlns:mycat="http://io.mycat/">',
        f'  <schema name={quoteattr(shard_map.database)} checkSQLschema="true">',
        *(
            f"    <table name={quoteattr(table)} dataNode={quoteattr(nodes)} rule={quoteattr(RULE)} "
            'needAddLimit="false" />'
            for table in tables
        ),
        "  </schema>",
        *(
            f"  <dataNode name={quoteattr(_data_node(node))} dataHost={quoteattr(node.shard.name)} "
            f"database={quoteattr(node.database(shard_map.database))} />"
            for node in shard_map.nodes
        ),
        *(line for shard in shard_map.shards for line in _data_host(shard)),
        "</mycat:schema>",
        "",
    ]
    return "\n".join(lines)


def _data_host(shard: Shard) -> list[str]:
    return [
        f'  <dataHost name={quoteattr(shard.name)} maxCon="1000" minCon="10" balance="1" writeType="0" '
        f'dbType="mysql" dbDriver="native" switchType="2" slaveThreshold="{SLAVE_THRESHOLD_SECONDS}">',
        "    <heartbeat>show slave status</heartbeat>",
        f"    <writeHost host={quoteattr(f'{shard.name}-primary')} url={quoteattr(str(shard.primary))} "
        'user="lianfang" password="${LIANFANG_MYSQL_PASSWORD}">',
        f"      <readHost host={quoteattr(f'{shard.name}-replica')} url={quoteattr(str(shard.replica))} "
        'user="lianfang" password="${LIANFANG_MYSQL_PASSWORD}" />',
        "    </writeHost>",
        "  </dataHost>",
    ]


def _rule(shard_map: ShardMap) -> str:
    default_index = len(shard_map.nodes) - 1
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<!DOCTYPE mycat:rule SYSTEM "rule.dtd">',
            "<!-- Rendered from deploy/shards.toml by `lianfang shards render`: edit the map, not this file. -->",
            '<mycat:rule xmlns:mycat="http://io.mycat/">',
            f"  <tableRule name={quoteattr(RULE)}>",
            "    <rule>",
            "      <columns>city_code</columns>",
            f"      <algorithm>{_FUNCTION}</algorithm>",
            "    </rule>",
            "  </tableRule>",
            f'  <function name={quoteattr(_FUNCTION)} class="io.mycat.route.function.PartitionByFileMap">',
            f'    <property name="mapFile">{MAP_FILE}</property>',
            "    <!-- 1: the keys are strings (city codes such as 0101 keep their leading zero). -->",
            '    <property name="type">1</property>',
            "    <!-- Any other city: the last dataNode of every table, the default node. -->",
            f'    <property name="defaultNode">{default_index}</property>',
            "  </function>",
            "</mycat:rule>",
            "",
        ]
    )


def _map_file(shard_map: ShardMap) -> str:
    lines = ["# city_code=index of the dataNode in each table's dataNode list (rendered from deploy/shards.toml)"]
    for index, node in enumerate(shard_map.nodes):
        lines.extend(f"{city}={index}" for city in node.cities)
    return "\n".join(lines) + "\n"


def _server(shard_map: ShardMap) -> str:
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<!DOCTYPE mycat:server SYSTEM "server.dtd">',
            "<!-- Rendered from deploy/shards.toml by `lianfang shards render`: edit the map, not this file. -->",
            '<mycat:server xmlns:mycat="http://io.mycat/">',
            "  <system>",
            '    <property name="charset">utf8mb4</property>',
            '    <property name="serverPort">8066</property>',
            '    <property name="managerPort">9066</property>',
            "    <!-- 0: transactions across dataNodes are allowed (the worker's never are: it writes a node at a time). -->",
            '    <property name="handleDistributedTransactions">0</property>',
            "  </system>",
            '  <user name="lianfang">',
            '    <property name="password">${LIANFANG_MYCAT_PASSWORD}</property>',
            f'    <property name="schemas">{shard_map.database}</property>',
            "  </user>",
            '  <user name="lianfang_reader">',
            '    <property name="password">${LIANFANG_MYCAT_READER_PASSWORD}</property>',
            f'    <property name="schemas">{shard_map.database}</property>',
            '    <property name="readOnly">true</property>',
            "  </user>",
            "</mycat:server>",
            "",
        ]
    )
