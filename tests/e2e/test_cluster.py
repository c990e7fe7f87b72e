"""Lianfang as a city runs it: nginx in front of two instances of every service, the worker, MariaDB, RabbitMQ and Redis.
Everything goes through https://localhost:8443, as a phone or a browser would."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from lianfang.allinone.web import fill_includes

from .conftest import CHECKOUT, HTTP_URL, REAL_VARIABLES, Cluster

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not all(os.environ.get(name) for name in REAL_VARIABLES),
        reason="the cluster runs on the real MariaDB, RabbitMQ and Redis of LIANFANG_TEST_*",
    ),
]

ANSWERS = {"name": "李雷", "phone": "13812345678", "address": "3 号楼 2 单元", "is_resident": True}


def bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def phone(number: int) -> dict[str, str]:
    """A phone of its own on the internet: nginx trusts X-Forwarded-For from this machine, as from a load balancer."""
    return {"X-Forwarded-For": f"198.51.{number // 250}.{number % 250 + 1}"}


class Gate:
    """An admin's new county with one community gate and its gate keeper, made through the admin API."""

    def __init__(self, cluster: Cluster, *, requires_audit: bool) -> None:
        suffix = uuid.uuid4().hex[:6]
        with cluster.client() as client:
            self.root = bearer(
                client.post("/api/auth/admin/login", json={"username": "admin", "password": cluster.root_password})
            )
            city = self._create(client, "/api/registry/regions", {"parent_id": 1, "name": f"测试市{suffix}"})
            self.county = self._create(client, "/api/registry/regions", {"parent_id": city["id"], "name": "测试区"})
            templates = client.get("/api/registry/templates", headers=self.root).json()["items"]
            template = next(item["id"] for item in templates if item["builtin"] == "residential_gate")
            self.checkpoint = self._create(
                client,
                "/api/registry/checkpoints",
                {
                    "region_id": self.county["id"],
                    "name": "育才小区东门",
                    "kind": "community",
                    "template_id": template,
                    "temp_valid_minutes": 240,
                    "requires_audit": requires_audit,
                },
            )
            self._create(
                client,
                "/api/auth/admins",
                {
                    "username": f"guard_{suffix}",
                    "password": "Guard-pass-1",
                    "name": "门岗",
                    "region_id": self.county["id"],
                    "role": "staff",
                    "checkpoint_ids": [self.checkpoint["id"]],
                },
            )
            first = bearer(
                client.post("/api/auth/admin/login", json={"username": f"guard_{suffix}", "password": "Guard-pass-1"})
            )
            # A new account changes the password its maker set before anything else.
            change = {"old_password": "Guard-pass-1", "new_password": "Guard-own-1"}
            client.post("/api/auth/me/password", json=change, headers=first).raise_for_status()
            self.guard = bearer(
                client.post("/api/auth/admin/login", json={"username": f"guard_{suffix}", "password": "Guard-own-1"})
            )

    def _create(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body, headers=self.root)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def stored(self, client: httpx.Client) -> list[dict[str, Any]]:
        """Every record of the gate that trace finds."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"checkpoint_id": self.checkpoint["id"], "limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/trace/records", params=params, headers=self.root)
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if not cursor:
                return items


def wait_for(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_http_is_redirected_to_https(cluster: Cluster) -> None:
    response = httpx.get(f"{HTTP_URL}/api/auth/me?from=poster")

    assert response.status_code == 301
    assert response.headers["location"] == "https://localhost:8443/api/auth/me?from=poster"


def test_tls_offers_http2(cluster: Cluster) -> None:
    context = ssl.create_default_context()
    context.load_verify_locations(CHECKOUT / "deploy" / "certs" / "localhost.crt")
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("localhost", 8443)) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(
    ("path", "page"),
    [("/c/ABCD2345", "h5/dist/c.html"), ("/staff/", "h5/dist/staff.html"), ("/admin/records", "admin/dist/index.html")],
)
def test_the_web_pages_are_served_uncached_or_said_to_be_missing(cluster: Cluster, path: str, page: str) -> None:
    with cluster.client() as client:
        response = client.get(path)

    built = CHECKOUT / "web" / page
    if built.exists():
        assert response.status_code == 200
        assert response.text == asyncio.run(_as_served(cluster, built.read_text(), path))
        assert response.headers["cache-control"] == "no-cache"
    else:
        assert response.status_code == 404
        assert "make web" in response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_a_resident_checks_in_staff_approve_and_trace_finds_the_record(cluster: Cluster) -> None:
    gate = Gate(cluster, requires_audit=True)
    code = gate.checkpoint["code"]
    with cluster.client() as client, cluster.client() as live:
        resident = bearer(client.post("/api/auth/dev/login", json={"openid": f"o-{uuid.uuid4().hex}"}))
        with live.stream(
            "GET", f"/api/checkin/staff/checkpoints/{gate.checkpoint['id']}/events", headers=gate.guard
        ) as events:
            assert events.status_code == 200
            assert events.headers["content-type"].startswith("text/event-stream")
            form = client.get(f"/api/checkin/checkpoints/{code}", headers=resident)
            receipt = client.post(
                "/api/checkin/checkins",
                json={"checkpoint_code": code, "client_id": str(uuid.uuid4()), "answers": ANSWERS, "temperature": 36.5},
                headers=resident | {"X-Request-ID": "e2e-checkin-1"},
            )
            assert receipt.status_code == 201, receipt.text
            # The arrival reaches the gate while the check-in's request is long over: nginx does not hold it back.
            arrival = next(
                line for line in events.iter_lines() if line.startswith("data: ") and receipt.json()["id"] in line
            )
        decision = client.post(
            f"/api/checkin/staff/checkins/{receipt.json()['id']}/decision",
            json={"decision": "approve"},
            headers=gate.guard,
        )
        record = wait_for(lambda: [item for item in gate.stored(client) if item["status"] == "passed"])
        poster = client.get(f"/api/registry/checkpoints/{gate.checkpoint['id']}/poster.pdf", headers=gate.root)

    assert form.json()["checkpoint"]["name"] == "育才小区东门"
    assert receipt.json()["status"] == "pending"
    assert receipt.headers["x-request-id"] == "e2e-checkin-1"
    assert receipt.headers["strict-transport-security"] == "max-age=31536000"
    assert json.loads(arrival.removeprefix("data: "))["id"] == receipt.json()["id"]
    assert decision.status_code == 200, decision.text
    assert [(item["id"], item["person"]["phone_masked"]) for item in record] == [(receipt.json()["id"], "138****5678")]
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "application/pdf"
    assert poster.content.startswith(b"%PDF")


def test_internal_calls_and_oversized_bodies_are_refused_as_problems(cluster: Cluster) -> None:
    with cluster.client() as client:
        root = bearer(
            client.post("/api/auth/admin/login", json={"username": "admin", "password": cluster.root_password})
        )
        internal = client.get("/api/registry/internal/checkpoints/ABCD2345/config")
        region = client.post(
            "/api/registry/regions",
            content=json.dumps({"parent_id": 1, "name": "x" * 2_000_000}),
            headers=root | {"Content-Type": "application/json"},
        )
        checkin = client.post(
            "/api/checkin/checkins",
            content=json.dumps({"answers": {"address": "x" * 100_000}}),
            headers={"Content-Type": "application/json"},
        )

    assert (internal.status_code, internal.headers["content-type"]) == (404, "application/problem+json")
    assert re.fullmatch(r"[0-9a-f]{32}", internal.headers["x-request-id"])
    assert internal.json()["code"] == "not_found"
    for refused in (region, checkin):
        assert (refused.status_code, refused.headers["content-type"]) == (413, "application/problem+json")
        assert refused.json() == {
            "type": "about:blank",
            "title": "请求内容过大",
            "status": 413,
            "detail": "请求内容超过了允许的大小",
            "code": "payload_too_large",
        }


async def test_password_guessing_and_check_in_floods_are_slowed_down_as_problems(cluster: Cluster) -> None:
    guesser, flooder = phone(9001), phone(9002)
    async with cluster.async_client() as client:
        guesses = [
            await client.post(
                "/api/auth/admin/login", json={"username": "nobody", "password": f"guess-{n}"}, headers=guesser
            )
            for n in range(15)
        ]
        flood = await asyncio.gather(
            *(client.post("/api/checkin/checkins", json={}, headers=flooder) for _ in range(120))
        )

    # The gateway locks the name for this address at the fifth wrong password; past nginx's burst of ten, nginx itself
    # answers.
    assert [response.status_code for response in guesses[:4]] == [401] * 4
    assert {response.status_code for response in guesses[4:]} == {429}
    assert guesses[4].json()["code"] == "account_locked"
    refused = guesses[-1]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "too_many_requests"
    # A burst of 50 beyond the rate passes (and is refused by the service for want of a token); the rest stop at nginx.
    assert {response.status_code for response in flood} == {401, 429}
    assert sum(response.status_code == 429 for response in flood) >= 40
    assert {response.json()["code"] for response in flood if response.status_code == 429} == {"too_many_requests"}


async def test_killing_a_checkin_instance_loses_no_confirmed_check_in(cluster: Cluster) -> None:
    gate = Gate(cluster, requires_audit=False)
    code = gate.checkpoint["code"]
    confirmed: list[tuple[str, float]] = []
    victim = cluster.pid("checkin.1")
    killed_at: list[float] = []

    async def resident(client: httpx.AsyncClient, number: int, until: float) -> None:
        network = phone(number)
        login = await client.post("/api/auth/dev/login", json={"openid": f"o-{uuid.uuid4().hex}"}, headers=network)
        headers = bearer(login) | network
        while time.monotonic() < until:
            client_id = str(uuid.uuid4())
            body = {"checkpoint_code": code, "client_id": client_id, "answers": ANSWERS, "temperature": 36.5}
            # As the H5 page does: the same client_id again until a receipt arrives.
            for _ in range(60):
                try:
                    response = await client.post("/api/checkin/checkins", json=body, headers=headers)
                except httpx.TransportError:
                    await asyncio.sleep(0.5)
                    continue
                if response.status_code == 201:
                    confirmed.append((client_id, time.monotonic()))
                    break
                assert response.status_code in (409, 502, 503, 504), response.text
                await asyncio.sleep(0.5)
            else:
                raise AssertionError(f"check-in {client_id} was never confirmed")
            await asyncio.sleep(0.1)

    async def kill() -> None:
        await asyncio.sleep(2.5)
        os.kill(victim, signal.SIGKILL)
        killed_at.append(time.monotonic())

    until = time.monotonic() + 8
    async with cluster.async_client(limits=httpx.Limits(max_connections=50)) as client:
        await asyncio.gather(*(resident(client, number, until) for number in range(12)), kill())

    with cluster.client() as reader:
        stored = wait_for(lambda: len(gate.stored(reader)) >= len(confirmed) and gate.stored(reader))
    assert sum(at > killed_at[0] for _, at in confirmed) > 0
    assert len(stored) == len({client_id for client_id, _ in confirmed}) == len(confirmed)


# What the on-call reads from each process (docs/OPERATIONS.md), by Procfile type: the names of /metrics' `# TYPE`
# lines (a histogram's without `_bucket`); a labelled family is named there before its first series.
ON_CALL_METRICS = {
    "gateway": {"lianfang_logins_total", "lianfang_account_lockouts_total"},
    "registry": {"lianfang_http_requests_total"},
    "checkin": {
        "lianfang_checkins_confirmed_total",
        "lianfang_checkins_refused_total",
        "lianfang_checkin_duration_seconds",
        "lianfang_broker_confirm_seconds",
        "lianfang_redis_roundtrip_seconds",
        "lianfang_redis_errors_total",
        "lianfang_redis_available",
        "lianfang_projection_rebuilding",
    },
    "trace": {"lianfang_trace_query_seconds", "lianfang_trace_exports_running"},
    "worker": {
        "lianfang_ingest_lag_seconds",
        "lianfang_ingest_queue_messages",
        "lianfang_ingest_batch_size",
        "lianfang_ingest_node_batch_events",
        "lianfang_ingest_node_store_seconds",
        "lianfang_ingest_node_up",
        "lianfang_ingest_dead_lettered_total",
    },
}


def _metrics(port: int) -> str:
    """A process's /metrics, waiting for one that is starting again (the suite kills a check-in instance earlier)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _processes(cluster: Cluster) -> dict[str, int]:
    """Each running process of the cluster that serves HTTP, by name (`checkin.2`), with its port."""
    found = {}
    for pid_file in sorted((cluster.run_dir / "pids").glob("*.pid")):
        command = pid_file.read_text().partition("\n")[2]
        port = re.search(r"--port (\d+)", command)
        if port is not None and pid_file.stem.split(".")[0] in ON_CALL_METRICS:
            found[pid_file.stem] = int(port.group(1))
    return found


async def _as_served(cluster: Cluster, page: str, path: str) -> str:
    """The page as nginx's SSI should serve it: each include replaced by what a check-in instance answers for it (the
    pages without includes come as they were built)."""
    checkin = next(port for name, port in _processes(cluster).items() if name.startswith("checkin."))

    async def answer(uri: str) -> str:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{checkin}") as client:
            return (await client.get(uri)).text

    return await fill_includes(page, {"lf_checkpoint_code": path.rpartition("/")[2]}, answer)


def test_every_process_answers_the_on_call_metrics(cluster: Cluster) -> None:
    processes = _processes(cluster)
    assert {name.split(".")[0] for name in processes} == set(ON_CALL_METRICS)
    for name, port in processes.items():
        text = _metrics(port)
        exported = {line.split(" ")[2] for line in text.splitlines() if line.startswith("# TYPE ")}
        kind = name.split(".")[0]
        assert ON_CALL_METRICS[kind] | {"lianfang_http_requests_total", "lianfang_dependency_up"} <= exported, name
        dependencies = [line for line in text.splitlines() if line.startswith("lianfang_dependency_up{")]
        assert dependencies, name
        assert all(line.endswith(" 1.0") for line in dependencies), (name, dependencies)


def test_lianfang_status_shows_every_process_ready_and_the_on_calls_figures(cluster: Cluster) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lianfang"), "status", "--run-dir", str(cluster.run_dir), "--interval", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    listed = lines[lines.index("进程 processes") + 1 : lines.index("登记 check-ins") - 1]
    # Every process that answers HTTP, and nothing else (the cluster's Redis has a --port too).
    assert {line.split()[0]: line.split()[-1] for line in listed} == {name: "ready" for name in _processes(cluster)}
    for heading in ("入库 ingest", "Redis", "登录与查询 logins and trace"):
        assert heading in lines
    assert any(line.startswith("  lag ") and "queues: ingest.checkins" in line for line in lines), done.stdout
    assert "projection ready" in done.stdout


def test_prometheus_scrapes_every_process_and_loads_the_alert_rules(cluster: Cluster) -> None:
    pid_file = cluster.run_dir / "pids" / "prometheus.1.pid"
    if not pid_file.exists():
        pytest.skip("this cluster runs no Prometheus (not installed: deploy/install-packages.sh cluster installs it)")
    port = re.search(r"127\.0\.0\.1:(\d+)", pid_file.read_text().partition("\n")[2])
    assert port is not None
    api = f"http://127.0.0.1:{port.group(1)}/api/v1"
    expected = {f"{name}" for name in _processes(cluster)}
    deadline = time.monotonic() + 60
    while True:
        targets = httpx.get(f"{api}/targets", timeout=10).json()["data"]["activeTargets"]
        up = {target["labels"]["instance"] for target in targets if target["health"] == "up"}
        if expected <= up or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert expected <= up
    groups = httpx.get(f"{api}/rules", timeout=10).json()["data"]["groups"]
    assert {rule["name"] for group in groups for rule in group["rules"]} >= {"IngestLag", "CheckinErrors", "ShardDown"}
