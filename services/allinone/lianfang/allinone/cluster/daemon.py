"""`up` prepares what the processes need once (keys, the root password, the certificate, the databases and their
migrations, nginx's configuration), then starts the supervisor in the background and waits until every process
answers. `down` stops the supervisor, which stops its processes; it touches nothing it did not start."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lianfang.allinone.cluster.databases import create_databases
from lianfang.allinone.cluster.environment import service_environment
from lianfang.allinone.cluster.nginx import nginx_test_command, nginx_values, render_template
from lianfang.allinone.cluster.processes import alive, read_pid, running_supervisor, stop_group, supervisor_marker
from lianfang.allinone.cluster.procfile import Instance, instances
from lianfang.allinone.cluster.prometheus import OPTIONAL_PROGRAMS, missing_programs, write_prometheus_config
from lianfang.allinone.cluster.settings import ClusterSettings
from lianfang.allinone.cluster.status import summary, tail, wait_until_ready
from lianfang.allinone.cluster.supervisor import STOP_SECONDS
from lianfang.allinone.cluster.topology import topology_down, topology_up

__all__ = ["cluster_down", "cluster_up"]


def _lianfang() -> str:
    return str(Path(sys.executable).parent / "lianfang")


def _formation(settings: ClusterSettings) -> str:
    """The formation the supervisor runs: no Redis of its own when the caller names one, no Prometheus or node exporter
    when it is not installed."""
    formation = settings.cluster_formation
    if os.environ.get("LIANFANG_REDIS_URL") and "redis" not in settings.formation():
        formation += ",redis=0"
    for kind in missing_programs():
        if kind not in settings.formation():
            print(
                f"cluster: {OPTIONAL_PROGRAMS[kind]} is not installed (deploy/install-packages.sh cluster installs it);"
                " running without it"
            )
            formation += f",{kind}=0"
    return formation


def cluster_up(settings: ClusterSettings) -> int:
    run_dir = settings.run_dir
    for folder in (run_dir, run_dir / "logs", run_dir / "pids", run_dir / "nginx", run_dir / "redis"):
        folder.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)
    env = service_environment(settings)
    if running_supervisor(run_dir) is not None:
        print(f"the cluster is running already ({run_dir}); `make cluster-stop` stops it")
        print(summary(settings, env))
        return 0
    if settings.sharded and topology_up(settings) != 0:
        return 1
    env["LIANFANG_CLUSTER_FORMATION"] = _formation(settings)
    settings = settings.model_copy(update={"cluster_formation": env["LIANFANG_CLUSTER_FORMATION"]})
    chosen = instances(settings, settings.cluster_procfile.read_text(), env)
    nginx_conf = run_dir / "nginx" / "nginx.conf"
    nginx_conf.write_text(render_template(settings.cluster_nginx_template.read_text(), nginx_values(settings, chosen)))
    write_prometheus_config(settings, chosen)
    if not _set_up(run_dir, chosen, env):
        return 1
    supervisor = _start_supervisor(run_dir, env)
    print(f"cluster: starting {len(chosen)} processes, logs in {run_dir / 'logs'}", flush=True)
    waiting = wait_until_ready(settings, chosen, supervisor)
    if waiting:
        print(f"cluster: not ready in {settings.cluster_ready_seconds:.0f} s: {', '.join(waiting)}", file=sys.stderr)
        for name in waiting:
            print(f"--- {name}\n{tail(run_dir / 'logs' / f'{name}.log', 15)}", file=sys.stderr)
        cluster_down(settings)
        return 1
    print(summary(settings, env))
    return 0


def _set_up(run_dir: Path, chosen: list[Instance], env: dict[str, str]) -> bool:
    """Check nginx's configuration, then create and migrate the databases; False (the log's tail shown) on a failure."""
    setup_log = run_dir / "logs" / "setup.log"
    for step, command in (
        ("nginx configuration", nginx_test_command(chosen)),
        ("migrations", [_lianfang(), "migrate"]),
    ):
        print(f"cluster: {step}", flush=True)
        if step == "migrations":
            asyncio.run(create_databases(env))
        with setup_log.open("a") as log:
            done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)  # noqa: S603
        if done.returncode != 0:
            print(tail(setup_log, 30), file=sys.stderr)
            print(f"cluster: the {step} failed; the log is {setup_log}", file=sys.stderr)
            return False
    return True


def _start_supervisor(run_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The supervisor, in its own session so that it outlives this command, its pid written where down finds it."""
    with (run_dir / "logs" / "supervisor.log").open("a") as log:
        supervisor = subprocess.Popen(  # noqa: S603
            [_lianfang(), "cluster", "supervise", "--run-dir", str(run_dir)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (run_dir / "supervisor.pid").write_text(f"{supervisor.pid}\n")
    return supervisor


def cluster_down(settings: ClusterSettings) -> int:
    run_dir = settings.run_dir
    supervisor = running_supervisor(run_dir)
    if supervisor is not None:
        os.kill(supervisor, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS + 10
        while time.monotonic() < deadline and alive(supervisor, supervisor_marker(run_dir)):
            time.sleep(0.2)
    # A supervisor that was killed outright leaves its processes behind: those still running are stopped here.
    left = 0
    for pid_file in sorted((run_dir / "pids").glob("*.pid")) if (run_dir / "pids").exists() else []:
        pid = read_pid(pid_file)
        marker = pid_file.read_text().partition("\n")[2].strip()
        if pid is not None and marker and alive(pid, marker):
            left += 1
            stop_group(pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)
    (run_dir / "supervisor.pid").unlink(missing_ok=True)
    if supervisor is None and not left:
        print("cluster: nothing was running")
    else:
        print("cluster: stopped")
    if (run_dir / "mariadb").exists():
        topology_down(settings)
    return 0
