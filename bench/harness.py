"""What every benchmark shares: the machine it ran on, a results file under bench/results/, a scratch MySQL database."""

from __future__ import annotations

import os
import platform
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["RESULTS", "Process", "machine", "processes", "scratch_database", "write_results"]

RESULTS = Path(__file__).resolve().parent / "results"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]  # noqa: S603
    except (OSError, IndexError):
        return "not found"


def machine() -> str:
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {_memory_gib():.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; MariaDB {_version(['mariadb', '--version'])}"
    )


def write_results(name: str, title: str, body: str) -> Path:
    """bench/results/<name>.md: the title, when and where it ran, and the figures."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(f"# {title}\n\nRun {stamp} on {machine()}.\n\n{body.rstrip()}\n")
    return path


@dataclass(frozen=True)
class Process:
    parent: int
    name: str
    cpu_seconds: float
    rss_bytes: int


def processes() -> dict[int, Process]:
    """Every process's parent, name, CPU seconds so far (user + system) and resident memory, from /proc/<pid>/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    found: dict[int, Process] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # `pid (name) state ppid …`: the name may hold spaces and parentheses, so it ends at the last `)`.
        name = stat[stat.index("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        found[int(entry.name)] = Process(int(fields[1]), name, cpu, int(fields[21]) * page)
    return found


@asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on the MySQL server of `server_url`, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    server = create_async_engine(server_url)
    async with server.begin() as connection:
        await connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with server.begin() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        await server.dispose()
