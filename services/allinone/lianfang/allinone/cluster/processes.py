"""Processes the cluster started, found again by pid file and command line (a pid alone may have been reused since)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

__all__ = ["alive", "pid_files", "read_pid", "running_supervisor", "stop_group", "supervisor_marker"]


def alive(pid: int, marker: str) -> bool:
    """The process exists and is the one we started."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmdline


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def supervisor_marker(run_dir: Path) -> str:
    return f"cluster supervise --run-dir {run_dir}"


def running_supervisor(run_dir: Path) -> int | None:
    pid = read_pid(run_dir / "supervisor.pid")
    return pid if pid is not None and alive(pid, supervisor_marker(run_dir)) else None


def stop_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def pid_files(run_dir: Path) -> Iterator[tuple[str, int]]:
    """The running processes by name, as their pid files say."""
    for path in sorted((run_dir / "pids").glob("*.pid")):
        pid = read_pid(path)
        if pid is not None:
            yield path.stem, pid
