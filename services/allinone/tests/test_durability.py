"""Nothing acknowledged to a client is ever lost or stored twice (DESIGN.md, Quality bars).

10,000 check-ins are posted while the ingest worker — a process of its own — is killed twice without warning and every
RabbitMQ connection is cut once. A client retries a refused check-in with the same `client_id`, as the H5 page does.
Afterwards the store holds exactly the check-ins that were confirmed, each once.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from lianfang.checkin import main as checkin
from lianfang.checkin.settings import CheckinSettings
from lianfang.common.auth import ResidentPrincipal
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.checkpoints import CheckpointConfig, RegionStep, config_key
from lianfang.common.contracts.records import Record, RecordsBase
from lianfang.common.db import create_database
from lianfang.common.forms import RESIDENTIAL_GATE
from lianfang.common.messaging import LIANFANG_TOPOLOGY, connect_broker
from lianfang.common.testing import serve, sign_token
from lianfang.common.testing.plugin import Backend, Stores
from lianfang.ingest import main as ingest

CHECKINS = 10_000
CONCURRENCY = 64
GATE = CheckpointConfig(
    id=9001,
    code="DURA2345",
    name="耐久测试门岗",
    kind="community",
    kind_label="小区/社区",
    address=None,
    active=True,
    region_id=3,
    region_path="/1/2/3/",
    city_code="1301",
    regions=[
        RegionStep(id=1, name="河北省", level="province"),
        RegionStep(id=2, name="石家庄市", level="city"),
        RegionStep(id=3, name="长安区", level="county"),
    ],
    temp_valid_minutes=0,
    requires_audit=False,
    fever_threshold=37.3,
    template_id=1,
    template_version=1,
    form=RESIDENTIAL_GATE.form,
)


def start_worker(records_url: str, backend: Backend) -> subprocess.Popen[bytes]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("LIANFANG_")}
    environment |= {
        "LIANFANG_RECORDS_DATABASE_URL": records_url,
        "LIANFANG_BROKER_URL": backend.broker_url,
        "LIANFANG_REDIS_URL": backend.redis_url,
        "LIANFANG_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "lianfang.ingest"], env=environment, cwd=Path(__file__).parents[3])


def cut_rabbitmq_connections(amqp_url: str) -> int:
    """Closes every connection to the test run's virtual host (others sharing the server keep theirs)."""
    vhost = unquote(urlsplit(amqp_url).path[1:]) or "/"
    rabbitmqctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    listed = subprocess.run(
        [rabbitmqctl, "-q", "list_connections", "pid", "vhost"], capture_output=True, text=True, check=True
    )
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    pids = [row[0].strip() for row in rows if len(row) == 2 and row[0].startswith("<") and row[1].strip() == vhost]
    for pid in pids:
        subprocess.run(
            [rabbitmqctl, "-q", "close_connection", pid, "durability test"], capture_output=True, check=False
        )
    return len(pids)


async def check_in(client: httpx.AsyncClient, number: int, tokens: list[str]) -> str:
    """One check-in, retried with the same client_id until the service confirms it."""
    body = {
        "checkpoint_code": GATE.code,
        "client_id": str(uuid.uuid4()),
        "answers": {"name": "王小明", "phone": f"138{number:08d}", "address": "1 号楼", "is_resident": True},
        "temperature": 36.5,
    }
    headers = {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}
    for _ in range(300):
        response = await client.post("/api/checkin/checkins", json=body, headers=headers)
        if response.status_code == 201:
            receipt_id: str = response.json()["id"]
            return receipt_id
        # 503: the broker did not confirm; 409 in progress: an earlier try of this id is still being answered.
        assert response.status_code == 503 or response.json()["code"] == "checkin_in_progress", response.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"check-in {number} was never confirmed: {response.status_code} {response.text}")


async def test_confirmed_check_ins_survive_worker_kills_and_a_cut_connection(
    backend: Backend, stores: Stores, redis_url: str, broker_url: str
) -> None:
    if not backend.real:
        pytest.skip("kills a worker process and cuts RabbitMQ connections: runs on the real servers (LIANFANG_TEST_*)")
    records_url = await stores.url("records", ingest.MIGRATIONS, RecordsBase.metadata)
    broker = connect_broker(broker_url)
    await broker.declare(LIANFANG_TOPOLOGY)
    await broker.close()
    cache = connect_cache(redis_url)
    await cache.set(config_key(GATE.code), GATE.model_dump_json())
    await cache.aclose()
    tokens = [sign_token(ResidentPrincipal(uuid.uuid4()), minutes=30) for _ in range(200)]
    worker = start_worker(records_url, backend)
    confirmed: list[str] = []

    reached = {threshold: asyncio.Event() for threshold in (2_000, 4_500, 7_000)}

    async def chaos() -> None:
        nonlocal worker
        for threshold, action in zip(reached, ("kill", "cut", "kill"), strict=True):
            await reached[threshold].wait()
            if action == "kill":
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                worker = start_worker(records_url, backend)
            else:
                assert cut_rabbitmq_connections(backend.broker_url) > 0

    # 10,000 check-ins from 200 residents in a few seconds: far past a person's share, which the resident limit refuses.
    settings = CheckinSettings(
        redis_url=redis_url,
        broker_url=broker_url,
        registry_url="http://registry.invalid",
        checkin_burst=1000,
        checkin_rate_per_second=100.0,
    )
    try:
        async with serve(checkin.create_app(settings)) as client:
            numbers = iter(range(CHECKINS))

            async def client_loop() -> None:
                for number in numbers:
                    confirmed.append(await check_in(client, number, tokens))
                    for threshold, event in reached.items():
                        if len(confirmed) >= threshold:
                            event.set()

            await asyncio.gather(chaos(), *(client_loop() for _ in range(CONCURRENCY)))

        database = create_database(records_url)
        try:
            for _ in range(1200):
                async with database.sessionmaker() as session:
                    count = await session.scalar(select(func.count()).select_from(Record))
                if count == len(confirmed):
                    break
                await asyncio.sleep(0.1)
            async with database.sessionmaker() as session:
                ids = [
                    str(row) for row in await session.scalars(select(Record.id).where(Record.checkpoint_id == GATE.id))
                ]
        finally:
            await database.dispose()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    assert len(confirmed) == CHECKINS
    assert len(set(confirmed)) == CHECKINS
    assert len(ids) == CHECKINS
    assert set(ids) == set(confirmed)
