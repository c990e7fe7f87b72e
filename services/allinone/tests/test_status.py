"""`lianfang status`: the on-call's figures from the processes' /metrics and /readyz, on one screen."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from lianfang.allinone.oncall import Process, Reading, cluster_processes, read_all, render

from .conftest import System

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(**series: float) -> Samples:
    """`name__label_value__label_value=…` → a sample: `lianfang_ingest_node_up__node_s1=1`."""
    parsed: Samples = {}
    for key, value in series.items():
        name, *labels = key.split("__")
        pairs = [label.split("_", 1) for label in labels]
        parsed[(name, frozenset((label, text) for label, text in pairs))] = value
    return parsed


def buckets(name: str, counts: dict[str, float], **labels: str) -> Samples:
    extra = frozenset(labels.items())
    return {(f"{name}_bucket", extra | {("le", le)}): count for le, count in counts.items()}


class TestScreen:
    def test_rates_percentiles_and_levels_from_two_readings_of_every_process(self) -> None:
        checkin_before = samples(
            lianfang_checkins_confirmed_total__city_1301=1000,
            lianfang_checkins_confirmed_total__city_1302=500,
            lianfang_checkins_refused_total__reason_broker_unavailable=0,
            lianfang_checkin_duration_seconds_count__outcome_confirmed=1500,
        ) | buckets("lianfang_checkin_duration_seconds", {"0.01": 0, "0.05": 0, "+Inf": 0}, outcome="confirmed")
        checkin_after = samples(
            lianfang_checkins_confirmed_total__city_1301=1500,
            lianfang_checkins_confirmed_total__city_1302=600,
            lianfang_checkins_refused_total__reason_broker_unavailable=20,
            lianfang_checkin_duration_seconds_count__outcome_confirmed=2100,
            lianfang_redis_available=1,
            lianfang_projection_rebuilding=0,
        ) | buckets("lianfang_checkin_duration_seconds", {"0.01": 300, "0.05": 600, "+Inf": 600}, outcome="confirmed")
        worker = samples(
            lianfang_ingest_lag_seconds=2.5,
            lianfang_ingest_queue_messages__queue_ingest=0,
            lianfang_ingest_node_up__node_s1=1,
            lianfang_ingest_node_up__node_s2=0,
            lianfang_records_replica_up__shard_s1=1,
            lianfang_records_replica_lag_seconds__shard_s1=3,
            lianfang_dependency_up__dependency_rabbitmq=1,
            lianfang_dependency_up__dependency_records_db=0,
        )
        readings = [
            Reading(Process("checkin.1", "http://127.0.0.1:9131"), "ready", checkin_before, checkin_after, 10.0),
            Reading(Process("worker.1", "http://127.0.0.1:9151"), "503 无法连接：records-db", worker, worker, 10.0),
        ]

        screen = render(readings, now=datetime(2026, 12, 6, 0, 30, tzinfo=UTC))

        assert "status at 2026-12-06 08:30:00 (北京时间), rates over 10 s" in screen
        assert "checkin.1  http://127.0.0.1:9131     ready" in screen
        assert "worker.1   http://127.0.0.1:9151     503 无法连接：records-db; 依赖不可达 down: records_db" in screen
        assert "confirmed   60.0/s   by city: 1301 50.0/s  1302 10.0/s" in screen
        assert "refused     broker_unavailable 2.00/s   server-side 3.3%" in screen
        assert "latency     p50 10 ms   p99 49 ms" in screen
        assert "lag         2.5 s" in screen
        assert "s1 up (store p99 —)  s2 DOWN" in screen
        assert "replicas    s1 up 3 s behind" in screen
        assert "available" in screen
        assert "projection ready" in screen

    def test_the_cluster_processes_come_from_its_pid_files(self, tmp_path: Path) -> None:
        (tmp_path / "pids").mkdir()
        (tmp_path / "pids" / "checkin.2.pid").write_text("4242\nlianfang serve checkin --host 127.0.0.1 --port 9132\n")
        (tmp_path / "pids" / "nginx.1.pid").write_text("4243\nnginx -e stderr -p /x/nginx/ -c nginx.conf\n")
        (tmp_path / "pids" / "redis.1.pid").write_text("4244\nredis-server --bind 127.0.0.1 --port 9161 --dir /x\n")

        assert cluster_processes(tmp_path) == [Process("checkin.2", "http://127.0.0.1:9132")]


@pytest.mark.usefixtures("backend")
async def test_the_all_in_one_server_is_read_as_one_process(system: System) -> None:
    server = Process("all-in-one", "http://testserver")
    asgi = httpx.ASGITransport(app=system.app.asgi)

    async def network(request: httpx.Request) -> httpx.Response:
        if request.url.host != "testserver":
            raise httpx.ConnectError("no such host", request=request)
        return await asgi.handle_async_request(request)

    transport = httpx.MockTransport(network)

    readings = await read_all(
        [server, Process("gone", f"http://{uuid.uuid4().hex}.invalid")], interval=0, transport=transport
    )

    screen = render(readings)
    assert "all-in-one  http://testserver" in screen
    assert readings[0].ready == "ready"
    assert readings[1].ready.startswith("无法连接 unreachable")
    assert "queues: ingest.checkins 0  ingest.dead 0" in screen
    assert "nodes       records up" in screen
    assert "  available   round trip p99" in screen
