"""The Procfile's process types, and the instances the formation makes of them, each with its own port."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from lianfang.allinone.cluster.settings import ClusterSettings

__all__ = ["Instance", "first_port", "instances", "parse_procfile", "serves_http"]

_COMMAND_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def serves_http(kind: str) -> bool:
    """Whether the Procfile type answers /readyz and /metrics on its port (every process but nginx, checked from the
    outside, Redis, Prometheus and the node exporter)."""
    return kind not in ("nginx", "redis", "prometheus", "node")


@dataclass(frozen=True)
class Instance:
    """One process of the cluster: the n-th of its Procfile type."""

    kind: str
    number: int
    port: int
    argv: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.number}"

    @property
    def serves_http(self) -> bool:
        return serves_http(self.kind)

    def marker(self) -> str:
        """What its command line shows once running, whatever the program made of argv[0] (nginx retitles itself)."""
        return " ".join(self.argv[1:])


def parse_procfile(content: str) -> list[tuple[str, str]]:
    """`name: command` lines, in order; blank lines and `#` comments are skipped."""
    entries = []
    for number, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, colon, command = stripped.partition(":")
        if not colon or not re.fullmatch(r"[a-z][a-z0-9_-]*", name.strip()) or not command.strip():
            raise ValueError(f"Procfile line {number} is not `name: command`: {line!r}")
        entries.append((name.strip(), command.strip()))
    return entries


def _expand(command: str, env: Mapping[str, str]) -> tuple[str, ...]:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in env:
            raise ValueError(f"the Procfile command {command!r} uses ${name}, which is not set")
        return shlex.quote(env[name])

    return tuple(shlex.split(_COMMAND_VARIABLE.sub(value, command)))


def first_port(settings: ClusterSettings, procfile: str, kind: str) -> int:
    """The port of the first instance of a Procfile type."""
    position = [name for name, _ in parse_procfile(procfile)].index(kind)
    return settings.cluster_port_base + 10 * position + 1


def instances(settings: ClusterSettings, procfile: str, env: Mapping[str, str]) -> list[Instance]:
    formation = settings.formation()
    entries = parse_procfile(procfile)
    unknown = sorted(set(formation) - {name for name, _ in entries})
    if unknown:
        raise ValueError(f"LIANFANG_CLUSTER_FORMATION names {unknown}, which the Procfile does not have")
    chosen = []
    for position, (kind, command) in enumerate(entries):
        count = formation.get(kind, 1)
        if not 0 <= count <= 9:
            raise ValueError(f"LIANFANG_CLUSTER_FORMATION: {kind}={count}; at most 9 instances of a type")
        for number in range(1, count + 1):
            port = settings.cluster_port_base + 10 * position + number
            argv = _expand(command, {**env, "PORT": str(port)})
            chosen.append(Instance(kind=kind, number=number, port=port, argv=argv))
    return chosen
