"""The supervisor: runs the Procfile's processes in the formation's numbers, each in its own process group with its log
in the run directory, and starts again one that dies. Unlike honcho or foreman, one process ending (a crash, or a test
killing an instance) leaves the others running."""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lianfang.allinone.cluster.processes import stop_group
from lianfang.allinone.cluster.procfile import Instance, instances
from lianfang.allinone.cluster.settings import ClusterSettings

__all__ = ["STOP_SECONDS", "supervise"]

# A process that ran this long before it died was working: it is started again at once.
_HEALTHY_SECONDS = 10.0
STOP_SECONDS = 20.0


@dataclass
class _Running:
    instance: Instance
    process: subprocess.Popen[bytes]
    started: float
    failures: int = 0
    restart_at: float | None = None
    log: IO[bytes] | None = field(default=None, repr=False)


def _say(message: str) -> None:
    print(f"{datetime.datetime.now().isoformat(timespec='seconds')} {message}", flush=True)


def supervise(run_dir: Path) -> int:
    """Runs the cluster's processes until SIGTERM or SIGINT, starting again any that ends; then stops them all."""
    settings = ClusterSettings(cluster_dir=run_dir)
    env = dict(os.environ)
    chosen = instances(settings, settings.cluster_procfile.read_text(), env)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    running = [_start(instance, env, run_dir) for instance in chosen]
    while not stopping:
        now = time.monotonic()
        for entry in running:
            _tend(entry, now, env, run_dir)
        time.sleep(0.2)
    _say("stopping")
    _stop_all(running, run_dir)
    _say("stopped")
    return 0


def _tend(entry: _Running, now: float, env: Mapping[str, str], run_dir: Path) -> None:
    """Starts again a process whose delay is over, or schedules the start of one that just ended."""
    if entry.restart_at is not None:
        if now >= entry.restart_at:
            if entry.log is not None:
                entry.log.close()
            entry.process, entry.log = _spawn(entry.instance, env, run_dir)
            entry.started, entry.restart_at = now, None
            _say(f"{entry.instance.name} started again (pid {entry.process.pid})")
        return
    code = entry.process.poll()
    if code is None:
        return
    stop_group(entry.process.pid, signal.SIGKILL)  # what it left behind (the ingest worker's writer)
    entry.failures = 0 if now - entry.started >= _HEALTHY_SECONDS else entry.failures + 1
    delay = min(30.0, 2.0**entry.failures) if entry.failures else 0.5
    entry.restart_at = now + delay
    _say(f"{entry.instance.name} exited with {code}; starting it again in {delay:.1f} s")


def _start(instance: Instance, env: Mapping[str, str], run_dir: Path) -> _Running:
    process, log = _spawn(instance, env, run_dir)
    _say(f"{instance.name} started (pid {process.pid}, port {instance.port})")
    return _Running(instance=instance, process=process, started=time.monotonic(), log=log)


def _spawn(instance: Instance, env: Mapping[str, str], run_dir: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    log = (run_dir / "logs" / f"{instance.name}.log").open("ab")
    executable = shutil.which(instance.argv[0], path=env.get("PATH"))
    if executable is None:
        raise FileNotFoundError(f"{instance.argv[0]} is not installed (needed by {instance.name})")
    process = subprocess.Popen(  # noqa: S603
        [executable, *instance.argv[1:]],
        env={**env, "PORT": str(instance.port)},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (run_dir / "pids" / f"{instance.name}.pid").write_text(f"{process.pid}\n{instance.marker()}\n")
    return process, log


def _stop_all(running: list[_Running], run_dir: Path) -> None:
    """SIGTERM to each process (each stops in its own way: uvicorn drains, the worker acks what it stored), SIGKILL to
    whatever is left of its group after the grace period."""
    live = [entry for entry in running if entry.restart_at is None and entry.process.poll() is None]
    for entry in live:
        entry.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for entry in live:
        try:
            entry.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{entry.instance.name} did not stop in {STOP_SECONDS:.0f} s; killed")
    for entry in running:
        stop_group(entry.process.pid, signal.SIGKILL)
        entry.process.poll()
        if entry.log is not None:
            entry.log.close()
        (run_dir / "pids" / f"{entry.instance.name}.pid").unlink(missing_ok=True)
