"""What the cluster's operator is shown: whether every process answers, where to go, and what is running."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from lianfang.allinone.cluster.processes import pid_files, running_supervisor
from lianfang.allinone.cluster.procfile import Instance, first_port
from lianfang.allinone.cluster.settings import ClusterSettings

__all__ = ["print_state", "state", "summary", "tail", "wait_until_ready"]


def wait_until_ready(
    settings: ClusterSettings, chosen: list[Instance], supervisor: subprocess.Popen[bytes]
) -> list[str]:
    """The names of the processes still not ready when the time is up (empty when all are)."""
    waiting = {instance.name: instance for instance in chosen}
    deadline = time.monotonic() + settings.cluster_ready_seconds
    with httpx.Client(verify=False, timeout=2.0) as client:  # noqa: S501 - our own self-signed certificate
        while waiting and time.monotonic() < deadline and supervisor.poll() is None:
            for name, instance in list(waiting.items()):
                if _ready(settings, instance, client):
                    del waiting[name]
            time.sleep(0.5)
    return sorted(waiting)


def _ready(settings: ClusterSettings, instance: Instance, client: httpx.Client) -> bool:
    if instance.kind == "redis":
        try:
            with socket.create_connection(("127.0.0.1", instance.port), timeout=2) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False
    if instance.kind == "prometheus":
        url = f"http://127.0.0.1:{instance.port}/-/ready"
    elif instance.kind == "node":
        url = f"http://127.0.0.1:{instance.port}/metrics"
    else:
        url = (
            f"http://127.0.0.1:{instance.port}/readyz"
            if instance.serves_http
            else f"https://127.0.0.1:{settings.nginx_https_port}/healthz"
        )
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def summary(settings: ClusterSettings, env: Mapping[str, str]) -> str:
    url = settings.https_url
    return "\n".join(
        [
            "",
            "  Lianfang 联防联控服务与管理系统 — cluster, ready",
            "",
            f"  {url}   (http://localhost:{settings.nginx_http_port} redirects here; the certificate is self-signed)",
            f"  管理后台  admin SPA      {url}/admin/",
            f"  执勤      staff view     {url}/staff/",
            f"  扫码登记  check-in page  {url}/c/<checkpoint code>",
            f"  API       OpenAPI docs   {url}/api/auth/docs  {url}/api/registry/docs",
            *_prometheus_line(settings),
            "",
            f"  root admin   {env.get('LIANFANG_ROOT_USERNAME', 'admin')} / {env['LIANFANG_ROOT_PASSWORD']}",
            f"  logs         {settings.run_dir / 'logs'}/*.log",
            "  stop         make cluster-stop",
            "",
        ]
    )


def _prometheus_line(settings: ClusterSettings) -> list[str]:
    if settings.formation().get("prometheus", 1) == 0:
        return []
    port = first_port(settings, settings.cluster_procfile.read_text(), "prometheus")
    return [f"  监控      Prometheus     http://127.0.0.1:{port}/alerts   (`uv run lianfang status` in a terminal)"]


def tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def state(settings: ClusterSettings) -> dict[str, object]:
    return {
        "run_dir": str(settings.run_dir),
        "supervisor": running_supervisor(settings.run_dir),
        "processes": dict(pid_files(settings.run_dir)),
    }


def print_state(settings: ClusterSettings) -> int:
    current = state(settings)
    print(json.dumps(current, indent=2))
    return 0 if current["supervisor"] else 3
