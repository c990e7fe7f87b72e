"""The one city → shard map and what is rendered from it: the Spider fronts, MyCat's and ShardingSphere's files."""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from lianfang.allinone.shards.render import rendered
from lianfang.common.shards import ShardMap, ShardMapError, front_table, server_statements

CHECKOUT = Path(__file__).resolve().parents[3]
MAP = ShardMap.load(CHECKOUT / "deploy" / "shards.toml")
HEBEI = {
    "1301": "石家庄市",
    "1302": "唐山市",
    "1303": "秦皇岛市",
    "1304": "邯郸市",
    "1305": "邢台市",
    "1306": "保定市",
    "1307": "张家口市",
    "1308": "承德市",
    "1309": "沧州市",
    "1310": "廊坊市",
    "1311": "衡水市",
}
# The province's own checkpoints, a city made without a code elsewhere, another province's city.
ELSEWHERE = ("1300", "9901", "1101")
SAMPLE_TABLE = """CREATE TABLE `records` (
  `id` uuid NOT NULL,
  `city_code` varchar(4) NOT NULL,
  `checked_at` datetime(6) NOT NULL,
  PRIMARY KEY (`id`,`city_code`,`checked_at`),
  KEY `ix_records_city_time` (`city_code`,`checked_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
 PARTITION BY RANGE  COLUMNS(`checked_at`)
(PARTITION `p202612` VALUES LESS THAN ('2027-01-01 00:00:00') ENGINE = InnoDB,
 PARTITION `pmax` VALUES LESS THAN (MAXVALUE) ENGINE = InnoDB)"""

Place = tuple[str, str]  # ("host:port" of the primary, database)


def spider_places() -> dict[str, Place]:
    """Where the write front sends each city's rows."""
    servers = {
        name: f"{host}:{port}"
        for statement in server_statements(MAP, "primary", user="root", password="")
        for name, host, port in re.findall(r"SERVER `(\w+)`.*HOST '([^']+)', PORT (\d+)", statement)
    }
    table = front_table(SAMPLE_TABLE, MAP, "lianfang_records")
    places: dict[str, Place] = {}
    partition = re.compile(
        r"PARTITION `\w+` (VALUES IN \(([^)]*)\)|DEFAULT) COMMENT = 'srv \"(\w+)\", database \"(\w+)\"'"
    )
    for _, values, server, database in partition.findall(table):
        cities = re.findall(r"'(\d{4})'", values) if values else ["*"]
        places.update({city: (servers[server], database) for city in cities})
    return places


def mycat_places() -> dict[str, Place]:
    files = rendered(MAP)
    namespace = {"mycat": "http://io.mycat/"}
    schema = ElementTree.fromstring(files[Path("mycat/schema.xml")].split("\n", 2)[2])  # noqa: S314 - our own rendering
    rule = ElementTree.fromstring(files[Path("mycat/rule.xml")].split("\n", 2)[2])  # noqa: S314
    assert schema.tag == rule.tag.replace("rule", "schema") == "{http://io.mycat/}schema"
    hosts = {host.get("name"): host.find("writeHost") for host in schema.findall("dataHost", namespace)}
    nodes = {node.get("name"): node for node in schema.findall("dataNode", namespace)}
    tables = schema.findall("schema/table", namespace)
    assert {table.get("rule") for table in tables} == {"lianfang-city-code"}
    (order,) = {table.get("dataNode") for table in tables}
    data_nodes = str(order).split(",")
    properties = {prop.get("name"): prop.text for prop in rule.iter("property")}
    assert properties["type"] == "1"

    def place(index: int) -> Place:
        node = nodes[data_nodes[index]]
        write_host = hosts[node.get("dataHost")]
        assert write_host is not None
        return str(write_host.get("url")), str(node.get("database"))

    lines = files[Path("mycat") / str(properties["mapFile"])].splitlines()
    places = {city: place(int(index)) for city, index in (line.split("=") for line in lines if line[:1].isdigit())}
    places["*"] = place(int(str(properties["defaultNode"])))
    return places


def shardingsphere_places() -> dict[str, Place]:
    text = rendered(MAP)[Path("shardingsphere/database-sharding.yaml")]
    urls = {name: (address, database) for name, address, database in _SS_URL.findall(text)}
    groups = dict(_SS_GROUP.findall(text))
    (expression,) = re.findall(r"algorithm-expression: (.*)", text)
    places = {city: urls[groups[group]] for city, group in re.findall(r"'(\d{4})': '(\w+)'", expression)}
    (default,) = re.findall(r"\?: '(\w+)'", expression)
    places["*"] = urls[groups[default]]
    return places


_SS_URL = re.compile(r"\n  (\w+):\n    url: \"jdbc:mysql://([^/]+)/(\w+)\?")
_SS_GROUP = re.compile(r"\n    (\w+):\n      writeDataSourceName: (\w+)")


def route(places: dict[str, Place], city: str) -> Place:
    return places.get(city, places["*"])


@pytest.mark.parametrize("city", [*HEBEI, *ELSEWHERE])
def test_every_city_goes_to_the_same_shard_in_every_engine(city: str) -> None:
    node = MAP.node_of(city)
    expected = (str(node.shard.primary), node.database("lianfang_records"))

    assert route(spider_places(), city) == expected
    assert route(mycat_places(), city) == expected
    assert route(shardingsphere_places(), city) == expected


def test_every_city_of_hebei_is_on_a_shard_of_its_own_and_the_rest_on_the_default_node() -> None:
    named = {city: node.name for node in MAP.nodes for city in node.cities}
    assert set(named) == set(HEBEI)
    assert {MAP.node_of(city).name for city in ELSEWHERE} == {"default"}
    assert MAP.node_of("1300").shard.name == MAP.default_shard


def test_the_files_in_deploy_are_the_rendering_of_the_map() -> None:
    for path, text in rendered(MAP).items():
        assert (CHECKOUT / "deploy" / path).read_text() == text, f"deploy/{path} differs: run `lianfang shards render`"


def test_mycat_adds_no_limit_and_splits_reads_and_writes() -> None:
    schema = rendered(MAP)[Path("mycat/schema.xml")]
    assert "sqlMaxLimit" not in schema
    assert schema.count('needAddLimit="false"') == 5
    assert schema.count('balance="1"') == schema.count('switchType="2"') == len(MAP.shards)


def test_shardingsphere_commits_across_shards_with_xa() -> None:
    assert "\ntransaction:\n  defaultType: XA\n" in rendered(MAP)[Path("shardingsphere/global.yaml")]


def _map(**changes: object) -> dict[str, object]:
    content = tomllib.loads((CHECKOUT / "deploy" / "shards.toml").read_text())
    return content | changes


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            _map(
                shards={
                    "s1": {"primary": "h1:1", "replica": "h2:1", "cities": ["1301"]},
                    "s2": {"primary": "h3:1", "replica": "h4:1", "cities": ["1301"]},
                }
            ),
            "city 1301 is on both s1 and s2",
        ),
        (
            _map(
                shards={
                    "s1": {"primary": "h1:1", "replica": "h2:1", "cities": ["1301"]},
                    "s2": {"primary": "h1:2", "replica": "h4:1", "cities": ["1302"]},
                }
            ),
            "a host address of its own",
        ),
        (_map(default_shard="s9"), "`default_shard` must name one of"),
        (_map(shards={"s1": {"primary": "h1:1", "replica": "h2:1", "cities": ["130"]}}), "4-digit city codes"),
    ],
)
def test_a_map_that_cannot_shard_is_refused(content: dict[str, object], problem: str) -> None:
    with pytest.raises(ShardMapError, match=re.escape(problem)):
        ShardMap.parse(content)
