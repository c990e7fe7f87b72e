"""What every benchmark shares: the machine it ran on, and a results file under bench/results/."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["RESULTS", "Process", "machine", "processes", "write_results"]

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
