"""Beside a load run (`make loadtest`): every few seconds, each process of the cluster and of the load generator, its
CPU seconds so far and its resident memory, into a CSV that `loadtests/fixture.py count` reads back. It tells what the
load generator itself took of the two cores, and whether any process's memory grew over a long run.

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
    ("locust", "load generator"),
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


def group_of(command_line: str) -> str | None:
    return next((group for pattern, group in GROUPS if pattern in command_line), None)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def sample(path: Path, every: float, stop: threading.Event) -> None:
    groups: dict[int, str | None] = {}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        while True:
            now = time.time()
            for pid, process in sorted(processes().items()):
                if pid not in groups:
                    groups[pid] = group_of(_command_line(pid))
                if (group := groups[pid]) is not None:
                    writer.writerow((f"{now:.1f}", pid, group, f"{process.cpu_seconds:.2f}", process.rss_bytes))
            handle.flush()
            if stop.wait(every):
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", type=Path)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    args = parser.parse_args()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sample(args.csv, args.every, stop)


if __name__ == "__main__":
    main()
