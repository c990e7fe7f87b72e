"""Beside a load run (`make loadtest`): every few seconds, each process of the cluster and of the load generator, its
CPU seconds so far and its resident memory, into a CSV that `loadtests/fixture.py count` reads back. It tells what the
load generator itself took of the two cores, and whether any process's memory grew over a long run.

The cluster's processes are those below its supervisor (`.cluster/supervisor.pid`); MariaDB and RabbitMQ are the
machine's, shared; the load generator is every Locust process of this checkout's locustfile.

Runs until it is stopped (SIGTERM or SIGINT), writing a row per process and sample as it goes.
"""

from __future__ import annotations

import argparse
import csv
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from harness import processes

# What a process is, by its command line: the first pattern found names its group.
GROUPS = (
    ("lianfang serve gateway", "gateway"),
    ("lianfang serve registry", "registry"),
    ("lianfang serve checkin", "checkin"),
    ("lianfang serve trace", "trace"),
    ("lianfang worker", "worker"),
    ("nginx", "nginx"),
    ("mariadbd", "mariadb"),
    ("redis-server", "redis"),
    ("beam.smp", "rabbitmq"),
)
FIELDS = ("time", "pid", "group", "cpu_seconds", "rss_bytes")


SHARED = ("mariadb", "rabbitmq")


def group_of(command_line: str, in_cluster: bool) -> str | None:
    if "locust" in command_line and "locustfile.py" in command_line:
        return "load generator"
    group = next((group for pattern, group in GROUPS if pattern in command_line), None)
    return group if in_cluster or group in SHARED else None


def _below(root: int | None, parents: dict[int, int]) -> set[int]:
    """The process and its descendants."""
    if root is None:
        return set()
    members = {root}
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in members} - members
        members |= children
        grew = bool(children)
    return members


def _supervisor(run_dir: Path) -> int | None:
    try:
        return int((run_dir / "supervisor.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def sample(path: Path, run_dir: Path, every: float, stop: threading.Event) -> None:
    groups: dict[int, str | None] = {}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        while True:
            now = time.time()
            running = processes()
            cluster = _below(_supervisor(run_dir), {pid: process.parent for pid, process in running.items()})
            for pid, process in sorted(running.items()):
                if pid not in groups:
                    groups[pid] = group_of(_command_line(pid), pid in cluster)
                if (group := groups[pid]) is not None:
                    writer.writerow((f"{now:.1f}", pid, group, f"{process.cpu_seconds:.2f}", process.rss_bytes))
            handle.flush()
            if stop.wait(every):
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", type=Path)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--run-dir", type=Path, default=Path(".cluster"), help="the cluster's run directory")
    args = parser.parse_args()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sample(args.csv, args.run_dir, args.every, stop)


if __name__ == "__main__":
    main()
