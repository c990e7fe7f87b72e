"""What the fault suite shares (issue 12): a stream of check-ins and staff decisions at an audited gate, as phones and
gate keepers send them (a refused request is sent again with the same client id), faults injected at given counts,
and the exact counts afterwards — confirmed receipts against stored records, replays, pending arrivals, fever marks,
temperature validity."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.contracts.records import Record
from lianfang.common.db import create_database
from lianfang.common.testing import sign_token

__all__ = [
    "AllInOneProcess",
    "Fault",
    "OwnRabbitMQ",
    "OwnRedis",
    "Stream",
    "clean_environment",
    "free_port",
    "own_rabbitmq",
    "own_redis",
]

log = logging.getLogger("lianfang.tests.faults")

CHECKINS = "/api/checkin/checkins"
# Refusals a phone or a gate keeper's page answers by sending the same request again.
_RETRIED = {"state_rebuilding", "redis_unavailable", "broker_unavailable", "checkin_in_progress", "service_unavailable"}

Fault = Callable[[], Awaitable[None]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class OwnRedis:
    """A Redis server of the test's own on a spare port, so the machine's stays up: flushed or restarted at will."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        # No persistence: a restart loses everything, the worst a restart can do.
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*command, "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_port(self.port, self.process, "redis-server", 4)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    async def restart(self) -> None:
        self.kill()
        await asyncio.to_thread(self.start)


@asynccontextmanager
async def own_redis(directory: Path) -> AsyncIterator[OwnRedis]:
    server = OwnRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], name: str, seconds: float) -> None:
    for _ in range(int(seconds / 0.02)):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            raise RuntimeError(f"{name} ended at start ({process.returncode})")
        time.sleep(0.02)
    raise RuntimeError(f"{name} did not listen within {seconds:.0f} s")


@dataclass
class OwnRabbitMQ:
    """A RabbitMQ node of the test's own (its name, ports, configuration, cookie and data under `directory`), so the
    machine's on 5672 stays up for everyone else: killed and started again on the same data at will."""

    directory: Path
    port: int = field(default_factory=free_port)
    cookie: str = field(default_factory=lambda: secrets.token_hex(16).upper())
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def node(self) -> str:
        return f"lianfang-test-{self.port}@localhost"

    def control(self) -> dict[str, str]:
        """What `rabbitmqctl` needs in its environment to reach this node (Debian's wrapper keeps it when it switches
        to the rabbitmq user)."""
        return {"RABBITMQ_NODENAME": self.node, "RABBITMQ_ERLANG_COOKIE": self.cookie}

    def environment(self) -> dict[str, str]:
        # Everything the node reads, in the test's folder: the machine's rabbitmq.conf and rabbitmq-env.conf name the
        # machine's node and port 5672, and its cookie is the machine's. The node registers with the machine's epmd
        # under a name of its own.
        folder = self.directory / "rabbitmq"
        (folder / "home").mkdir(parents=True, exist_ok=True)
        cookie = folder / "home" / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(self.cookie)
            cookie.chmod(0o400)
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (folder / "env.conf").write_text("")
        (folder / "enabled_plugins").write_text("[].\n")
        return os.environ | {
            "HOME": str(folder / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(folder / "env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_PID_FILE": str(folder / "node.pid"),
        }

    def start(self) -> None:
        # The server script itself, not /usr/sbin's wrapper, which would switch to the rabbitmq user.
        script = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
        if not script.exists():
            raise RuntimeError("rabbitmq-server is not installed (deploy/install-packages.sh installs it)")
        self.process = subprocess.Popen(
            [str(script)],
            env=self.environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_for_port(self.port, self.process, "rabbitmq-server", 60)

    def kill(self) -> None:
        """SIGKILL to the node and its helpers (its own process group): no clean shutdown, the worst a restart does."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    async def restart(self) -> None:
        self.kill()
        await asyncio.to_thread(self.start)


@asynccontextmanager
async def own_rabbitmq(directory: Path) -> AsyncIterator[OwnRabbitMQ]:
    server = OwnRabbitMQ(directory)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        server.kill()


_DIGITS = "零一二三四五六七八九"


def resident_answers(number: int) -> dict[str, Any]:
    name = "居民" + "".join(_DIGITS[int(digit)] for digit in f"{number:03d}")
    return {"name": name, "phone": f"139{number:08d}", "address": "1 号楼", "is_resident": True}


@dataclass
class Confirmed:
    client_id: str
    resident: int
    receipt: dict[str, Any]


@dataclass
class Stream:
    """`count` check-ins by `residents` people at an audited gate, `concurrency` at a time, while a gate keeper decides
    what waits; every `fever_every`-th is a fever. `faults` run when that many check-ins are confirmed."""

    client: httpx.AsyncClient
    gate: dict[str, Any]
    guard: dict[str, str]
    residents: int = 100
    fever_every: int = 97
    tokens: list[dict[str, str]] = field(default_factory=list)
    confirmed: list[Confirmed] = field(default_factory=list)
    decided: dict[str, str] = field(default_factory=dict)
    undecidable: list[str] = field(default_factory=list)
    replay_mismatches: list[str] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tokens = [
            {"Authorization": f"Bearer {sign_token(ResidentPrincipal(uuid.uuid4()), minutes=60)}"}
            for _ in range(self.residents)
        ]

    def body(self, number: int) -> dict[str, Any]:
        fever = self.fever_every and number % self.fever_every == self.fever_every - 1
        return {
            "checkpoint_code": self.gate["code"],
            "client_id": str(uuid.uuid4()),
            "answers": resident_answers(number % self.residents),
            "temperature": 38.5 if fever else 36.5,
        }

    async def send(self, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        """The same request until it is answered for good, as the check-in page's queue sends it."""
        for _ in range(1200):
            try:
                response = await self.client.post(CHECKINS, json=body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
                continue
            if response.status_code < 500 and response.status_code != 409:
                return response
            code = response.json().get("code", str(response.status_code))
            if code not in _RETRIED:
                return response
            self.refusals[code] = self.refusals.get(code, 0) + 1
            await asyncio.sleep(0.05)
        raise AssertionError(f"a check-in was never answered: {response.status_code} {response.text}")

    async def run(self, count: int, *, concurrency: int = 32, faults: dict[int, Fault] | None = None) -> None:
        faults = faults or {}
        reached = {threshold: asyncio.Event() for threshold in faults}
        numbers = iter(range(count))
        done = asyncio.Event()

        async def phone() -> None:
            for number in numbers:
                body = self.body(number)
                headers = self.tokens[number % self.residents]
                response = await self.send(body, headers)
                assert response.status_code == 201, response.text
                self.confirmed.append(Confirmed(body["client_id"], number % self.residents, response.json()))
                if number % 5 == 0:
                    # The phone did not see the answer and sends it again: the first receipt, whatever happened since.
                    again = await self.send(body, headers)
                    if again.json().get("id") != response.json()["id"]:
                        self.replay_mismatches.append(f"{body['client_id']}: {again.status_code} {again.text[:120]}")
                for threshold, event in reached.items():
                    if len(self.confirmed) >= threshold:
                        event.set()

        async def chaos() -> None:
            for threshold, fault in sorted(faults.items()):
                await reached[threshold].wait()
                log.warning("fault at %d confirmed check-ins", len(self.confirmed))
                await fault()

        async def phones() -> None:
            await asyncio.gather(*(phone() for _ in range(concurrency)))
            done.set()

        await asyncio.gather(phones(), chaos(), self.keep_deciding(done))

    async def pending(self) -> list[dict[str, Any]]:
        for _ in range(1200):
            try:
                response = await self.client.get(
                    f"/api/checkin/staff/checkpoints/{self.gate['id']}/pending", headers=self.guard
                )
            except httpx.TransportError:
                await asyncio.sleep(0.1)
                continue
            if response.status_code == 200:
                items: list[dict[str, Any]] = response.json()["items"]
                return items
            assert response.status_code == 503, response.text
            await asyncio.sleep(0.05)
        raise AssertionError("the pending list never answered")

    async def decide(self, record_id: str, decision: str) -> None:
        answer_lost = False
        for _ in range(1200):
            try:
                response = await self.client.post(
                    f"/api/checkin/staff/checkins/{record_id}/decision", json={"decision": decision}, headers=self.guard
                )
            except httpx.TransportError:
                # The server went away with the answer: the decision may stand already, which a retry then says.
                answer_lost = True
                await asyncio.sleep(0.1)
                continue
            if response.status_code == 200:
                self.decided[record_id] = decision
                return
            code = response.json().get("code")
            if code == "already_decided" and (record_id in self.decided or answer_lost):
                # Ours, made before its answer was lost: nobody else decides at this gate.
                self.decided[record_id] = decision
                return
            if response.status_code != 503:
                self.undecidable.append(f"{record_id}: {response.status_code} {code}")
                return
            await asyncio.sleep(0.05)

    async def keep_deciding(self, done: asyncio.Event) -> None:
        """Gate keepers approve two arrivals in three and reject the third, as they show up, four at a time."""
        while not done.is_set():
            waiting = [item["id"] for item in (await self.pending())[:40] if item["id"] not in self.decided]
            await asyncio.gather(
                *(
                    self.decide(record_id, "reject" if number % 3 == 2 else "approve")
                    for number, record_id in enumerate(waiting[:4])
                )
            )
            await asyncio.sleep(0.02)


@dataclass
class Stored:
    records: list[tuple[str, str]]

    @property
    def ids(self) -> list[str]:
        return [record_id for record_id, _ in self.records]


async def stored_at(records_url: str, checkpoint_id: int, expected: int) -> Stored:
    """The gate's records in the store once `expected` of them are there (or after 90 s: a worker that met a fault
    writes again after a growing pause): (id, status)."""
    database = create_database(records_url, pool_size=1, max_overflow=0)
    try:
        for _ in range(900):
            async with database.sessionmaker() as session:
                count = await session.scalar(
                    select(func.count()).select_from(Record).where(Record.checkpoint_id == checkpoint_id)
                )
            if (count or 0) >= expected:
                break
            await asyncio.sleep(0.1)
        async with database.sessionmaker() as session:
            rows = (
                await session.execute(select(Record.id, Record.status).where(Record.checkpoint_id == checkpoint_id))
            ).all()
        return Stored([(str(row[0]), str(row[1])) for row in rows])
    finally:
        await database.dispose()


async def settled(stream: Stream, records_url: str, checkpoint_id: int) -> tuple[Stored, list[str]]:
    """The store once every decision made reached it, and the pending list then: the same arrivals, exactly."""
    stored = await stored_at(records_url, checkpoint_id, len(stream.confirmed))
    for _ in range(600):
        stored = await stored_at(records_url, checkpoint_id, len(stream.confirmed))
        waiting = {record_id for record_id, status in stored.records if status == "pending"}
        if not waiting & set(stream.decided):
            break
        await asyncio.sleep(0.1)
    listed = [item["id"] for item in await stream.pending()]
    return stored, listed


async def check_the_promises(stream: Stream, records_url: str, count: int) -> dict[str, int]:
    """Every promise of issue 12 after the faults, with the counts that prove it."""
    checkpoint_id = stream.gate["id"]
    stored, listed = await settled(stream, records_url, checkpoint_id)
    receipts = [confirmed.receipt["id"] for confirmed in stream.confirmed]
    # Confirmed receipts are the stored records, none twice, each with the stored id.
    assert len(receipts) == count
    assert len(set(receipts)) == count
    unstored, unconfirmed = set(receipts) - set(stored.ids), set(stored.ids) - set(receipts)
    assert sorted(stored.ids) == sorted(receipts), (
        f"{len(unstored)} confirmed not stored, {len(unconfirmed)} not confirmed"
    )
    assert not stream.replay_mismatches, "\n".join(stream.replay_mismatches)
    # Every pending arrival is listed, nothing else is, and each can be decided.
    waiting = sorted(record_id for record_id, status in stored.records if status == "pending")
    assert sorted(listed) == waiting
    assert stream.undecidable == []
    gate_keepers = asyncio.Semaphore(16)

    async def approve(record_id: str) -> None:
        async with gate_keepers:
            await stream.decide(record_id, "approve")

    await asyncio.gather(*(approve(record_id) for record_id in listed))
    assert stream.undecidable == []
    # Retries of earlier client ids, after everything, get their first receipts.
    sample = stream.confirmed[:: max(1, count // 100)]
    for confirmed in sample:
        body = stream.body(0) | {"client_id": confirmed.client_id}
        again = await stream.send(body, stream.tokens[confirmed.resident])
        assert (again.status_code, again.json()["id"]) == (201, confirmed.receipt["id"])
    # A fever marks the person: their next arrival warns; and a valid temperature is still reused.
    feverish = next(confirmed for confirmed in stream.confirmed if confirmed.receipt["status"] == "abnormal")
    headers = stream.tokens[feverish.resident]
    measured = await stream.send(stream.body(feverish.resident) | {"temperature": 36.6}, headers)
    reused = await stream.send(stream.body(feverish.resident) | {"temperature": None}, headers)
    assert (measured.status_code, reused.status_code) == (201, 201), reused.text
    assert reused.json()["temperature"] | {"measured_at": ""} == {"value": 36.6, "source": "reused", "measured_at": ""}
    warned = next(item for item in await stream.pending() if item["id"] == reused.json()["id"])
    assert [warning["code"] for warning in warned["warnings"]] == ["recent_fever"]
    counts = {
        "confirmed": len(receipts),
        "stored": len(stored.ids),
        "decided_during_stream": len(stream.decided) - len(listed),
        "pending_after": len(listed),
        "replays_checked": len(sample) + len(stream.confirmed[::5]),
        **{f"refused_{code}": number for code, number in sorted(stream.refusals.items())},
    }
    log.warning("fault case counts: %s", counts)
    print(f"\nfault case counts: {counts}")
    return counts


@dataclass
class AllInOneProcess:
    """`lianfang run` as a process of its own on a spare port, on the data directory `directory`: killed with SIGKILL
    and started again on the same data at will."""

    directory: Path
    environment: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        command = [str(Path(sys.executable).parent / "lianfang"), "run", "--no-demo"]
        command += ["--data-dir", str(self.directory), "--port", str(self.port)]
        with (self.directory.parent / "server.log").open("ab") as log_file:
            self.process = await asyncio.to_thread(
                subprocess.Popen,
                command,
                env=self.environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        async with httpx.AsyncClient(base_url=self.url) as client:
            for _ in range(600):
                if self.process.poll() is not None:
                    raise RuntimeError(f"lianfang run ended at start ({self.process.returncode}): see server.log")
                with suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError("lianfang run was not ready within 60 s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("LIANFANG_")}
