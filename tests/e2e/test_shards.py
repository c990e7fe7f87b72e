"""`make cluster SHARDS=2`: the records store sharded by city behind Spider fronts, trace reading from the replicas.

Two cities on two shards (石家庄 on s1, 保定 on s2 in deploy/shards.toml): each city's check-ins land on its own
backend and nowhere else, a province-wide page is the merge of the backends, contact screening and statistics answer
as on one database; with s2 down, 石家庄 goes on checking in and tracing, the province's page is a 503 naming s2, and
保定's check-ins are stored once s2 is back.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from .conftest import CHECKOUT, REAL_VARIABLES, Cluster
from .test_cluster import ANSWERS, bearer, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not all(os.environ.get(name) for name in REAL_VARIABLES),
        reason="the cluster runs on the real MariaDB, RabbitMQ and Redis of LIANFANG_TEST_*",
    ),
]


class City:
    """A city made with its code (its shard key), one gate in it, and check-ins there."""

    def __init__(self, client: httpx.Client, root: dict[str, str], name: str, code: str) -> None:
        self.root = root
        self.region = self._create(client, "/api/registry/regions", {"parent_id": 1, "name": name, "code": code})
        templates = client.get("/api/registry/templates", headers=root).json()["items"]
        template = next(item["id"] for item in templates if item["builtin"] == "residential_gate")
        self.gate = self._create(
            client,
            "/api/registry/checkpoints",
            {
                "region_id": self.region["id"],
                "name": f"{name}东门",
                "kind": "community",
                "template_id": template,
                "temp_valid_minutes": 240,
                "requires_audit": False,
            },
        )

    def _create(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body, headers=self.root)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def check_in(self, client: httpx.Client, phone: str) -> dict[str, Any]:
        resident = bearer(client.post("/api/auth/dev/login", json={"openid": f"o-{uuid.uuid4().hex}"}))
        receipt = client.post(
            "/api/checkin/checkins",
            json={
                "checkpoint_code": self.gate["code"],
                "client_id": str(uuid.uuid4()),
                "answers": ANSWERS | {"phone": phone},
                "temperature": 36.4,
            },
            headers=resident,
        )
        assert receipt.status_code == 201, receipt.text
        answer: dict[str, Any] = receipt.json()
        return answer

    def records(self, client: httpx.Client) -> list[str]:
        page = client.get("/api/trace/records", params={"region_id": self.region["id"]}, headers=self.root)
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]


async def _backend_ids(url: str) -> list[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT id FROM records ORDER BY checked_at DESC, id"))
            return [str(row.id) for row in rows]
    finally:
        await engine.dispose()


def backend_ids(cluster: Cluster) -> dict[str, list[str]]:
    """The records on each node's database, read from its primary directly."""
    assert cluster.shards is not None
    return {node: asyncio.run(_backend_ids(url)) for node, url in cluster.shards.backend_urls().items()}


def shards(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "lianfang"), "shards", *args], cwd=CHECKOUT, check=True)


@pytest.fixture(scope="module")
def cities(sharded_cluster: Cluster) -> tuple[dict[str, str], City, City]:
    with sharded_cluster.client() as client:
        login = {"username": "admin", "password": sharded_cluster.root_password}
        root = bearer(client.post("/api/auth/admin/login", json=login))
        return root, City(client, root, "石家庄市", "130100"), City(client, root, "保定市", "130600")


def test_each_city_lands_on_its_own_shard_and_the_province_sees_the_merge(
    sharded_cluster: Cluster, cities: tuple[dict[str, str], City, City]
) -> None:
    root, shijiazhuang, baoding = cities
    with sharded_cluster.client() as client:
        first = shijiazhuang.check_in(client, "13812345001")
        second = baoding.check_in(client, "13812345002")
        third = baoding.check_in(client, "13812345003")
        wait_for(lambda: len(shijiazhuang.records(client)) == 1 and len(baoding.records(client)) == 2)
        province = client.get("/api/trace/records", headers=root)

    stored = backend_ids(sharded_cluster)
    assert stored["s1"] == [first["id"]]
    assert sorted(stored["s2"]) == sorted([second["id"], third["id"]])
    assert stored["default"] == []
    assert province.status_code == 200, province.text
    merged = [item["id"] for item in province.json()["items"]]
    assert sorted(merged) == sorted(stored["s1"] + stored["s2"])
    assert merged == [
        item["id"] for item in sorted(province.json()["items"], key=lambda i: i["checked_at"], reverse=True)
    ]


def test_contacts_and_statistics_answer_as_on_one_database(
    sharded_cluster: Cluster, cities: tuple[dict[str, str], City, City]
) -> None:
    root, shijiazhuang, baoding = cities
    now = datetime.now(UTC)
    with sharded_cluster.client() as client:
        contacts = client.post(
            "/api/trace/contacts",
            json={
                "phone": "13812345002",
                "from": (now - timedelta(days=1)).isoformat(),
                "to": (now + timedelta(minutes=5)).isoformat(),
                "window_minutes": 30,
                "reason": "密接排查演练",
            },
            headers=root,
        )
        stats = client.get(
            "/api/trace/stats",
            params={"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(minutes=5)).isoformat()},
            headers=root,
        )

    assert contacts.status_code == 200, contacts.text
    assert [contact["person"]["phone_masked"] for contact in contacts.json()["contacts"]] == ["138****5003"]
    assert stats.status_code == 200, stats.text
    by_region = {child["region_id"]: child["total"]["records"] for child in stats.json()["children"]}
    assert by_region == {shijiazhuang.region["id"]: 1, baoding.region["id"]: 2}
    assert stats.json()["total"]["records"] == 3


def test_with_one_shard_down_the_other_cities_go_on_and_nothing_is_lost(
    sharded_cluster: Cluster, cities: tuple[dict[str, str], City, City]
) -> None:
    root, shijiazhuang, baoding = cities
    shards("down", "s2-primary", "s2-replica")
    try:
        with sharded_cluster.client() as client:
            held = baoding.check_in(client, "13812345004")
            kept = shijiazhuang.check_in(client, "13812345005")
            stored = wait_for(lambda: kept["id"] in shijiazhuang.records(client), seconds=60)
            province = client.get("/api/trace/records", headers=root)
            # What the on-call sees meanwhile (docs/OPERATIONS.md, ShardDown and ReplicaDown).
            s2_down = wait_for(lambda: metric(sharded_cluster, "worker.1", 'lianfang_ingest_node_up{node="s2"}') == 0)
            seen_down = {
                name: metric(sharded_cluster, "worker.1", name)
                for name in (
                    'lianfang_ingest_node_up{node="s1"}',
                    'lianfang_records_replica_up{shard="s1"}',
                    'lianfang_records_replica_up{shard="s2"}',
                )
            }
            unreachable = sum(
                metric(sharded_cluster, f"trace.{number}", 'lianfang_trace_shard_unavailable_total{shard="s2"}')
                for number in (1, 2)
            )
    finally:
        shards("up")
    with sharded_cluster.client() as client:
        returned = wait_for(lambda: held["id"] in baoding.records(client), seconds=90)
    s2_back = wait_for(lambda: metric(sharded_cluster, "worker.1", 'lianfang_ingest_node_up{node="s2"}') == 1)

    assert stored
    assert province.status_code == 503
    assert province.headers["content-type"] == "application/problem+json"
    assert province.headers["retry-after"] == "10"
    assert province.json()["code"] == "records_shard_unavailable"
    assert "分片 s2" in province.json()["detail"]
    assert returned
    assert held["id"] in backend_ids(sharded_cluster)["s2"]
    assert s2_down
    assert s2_back
    assert seen_down == {
        'lianfang_ingest_node_up{node="s1"}': 1,
        'lianfang_records_replica_up{shard="s1"}': 1,
        'lianfang_records_replica_up{shard="s2"}': 0,
    }
    assert unreachable >= 1


def metric(cluster: Cluster, process: str, series: str) -> float:
    """One series of a process's /metrics (its port from the pid file's command line); 0 when it has none yet."""
    command = (cluster.run_dir / "pids" / f"{process}.pid").read_text()
    port = command.split("--port ")[1].split()[0]
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
