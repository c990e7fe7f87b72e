"""The city → shard map of the records store (`deploy/shards.toml`): which shard holds a city's records, and where each
shard's primary and replica listen. Every engine's configuration is rendered from it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["DEFAULT_NODE", "Address", "Node", "Role", "Shard", "ShardMap", "ShardMapError"]

DEFAULT_NODE = "default"
Role = Literal["primary", "replica"]

_NAME = re.compile(r"[a-z][a-z0-9]{0,15}")
_CITY = re.compile(r"[0-9]{4}")
_DATABASE = re.compile(r"[A-Za-z0-9_]{1,48}")


class ShardMapError(ValueError):
    """The map cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        host, colon, port = text.rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ShardMapError(f"{text!r} is not host:port")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Shard:
    name: str
    primary: Address
    replica: Address
    cities: tuple[str, ...]

    def address(self, role: Role) -> Address:
        return self.primary if role == "primary" else self.replica


@dataclass(frozen=True, slots=True)
class Node:
    """Where one partition of the records store lives: a shard's servers and a database there. Each shard's cities
    are one node; the cities the map leaves out are another, on the default shard, in a database of their own."""

    name: str
    shard: Shard
    cities: tuple[str, ...]

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_NODE

    def database(self, base: str) -> str:
        return f"{base}_{DEFAULT_NODE}" if self.is_default else base


@dataclass(frozen=True, slots=True)
class ShardMap:
    database: str
    shards: tuple[Shard, ...]
    default_shard: str

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Each shard's node in the map's order, then the default node."""
        default = next(shard for shard in self.shards if shard.name == self.default_shard)
        return (*(Node(shard.name, shard, shard.cities) for shard in self.shards), Node(DEFAULT_NODE, default, ()))

    def node_of(self, city_code: str) -> Node:
        for node in self.nodes:
            if city_code in node.cities or node.is_default:
                return node
        raise AssertionError("the default node is always last")

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    @classmethod
    def load(cls, path: Path) -> ShardMap:
        try:
            content = tomllib.loads(path.read_text())
            return cls.parse(content)
        except (OSError, tomllib.TOMLDecodeError, ShardMapError) as error:
            raise ShardMapError(f"the shard map {path}: {error}") from error

    @classmethod
    def parse(cls, content: dict[str, Any]) -> ShardMap:
        database = str(content.get("database", ""))
        if not _DATABASE.fullmatch(database):
            raise ShardMapError(f"`database` must be letters, digits and _ (at most 48), not {database!r}")
        tables = content.get("shards")
        if not isinstance(tables, dict) or not tables:
            raise ShardMapError("it names no [shards.<name>]")
        shards = tuple(_shard(name, table) for name, table in tables.items())
        seen: dict[str, str] = {}
        for shard in shards:
            for city in shard.cities:
                if city in seen:
                    raise ShardMapError(f"city {city} is on both {seen[city]} and {shard.name}")
                seen[city] = shard.name
        addresses = [address for shard in shards for address in (shard.primary, shard.replica)]
        hosts = [address.host for address in addresses]
        if len(set(hosts)) != len(hosts):
            # Spider's XA member key has no port: two servers on one address fail every commit across them.
            raise ShardMapError("every primary and replica needs a host address of its own (127.0.0.11, …)")
        default = str(content.get("default_shard", ""))
        if default not in tables:
            raise ShardMapError(f"`default_shard` must name one of {sorted(tables)}, not {default!r}")
        return cls(database, shards, default)


def _shard(name: str, table: Any) -> Shard:
    if not _NAME.fullmatch(name) or name == DEFAULT_NODE:
        raise ShardMapError(f"shard name {name!r}: lower-case letters and digits, not `{DEFAULT_NODE}`")
    if not isinstance(table, dict):
        raise ShardMapError(f"[shards.{name}] must be a table")
    cities = table.get("cities", [])
    if not isinstance(cities, list) or not all(isinstance(city, str) and _CITY.fullmatch(city) for city in cities):
        raise ShardMapError(f"[shards.{name}] cities must be 4-digit city codes")
    if not cities:
        raise ShardMapError(f"[shards.{name}] holds no city")
    try:
        return Shard(name, Address.parse(str(table["primary"])), Address.parse(str(table["replica"])), tuple(cities))
    except KeyError as missing:
        raise ShardMapError(f"[shards.{name}] needs {missing.args[0]}") from None
