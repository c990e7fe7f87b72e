"""The check-in POST against a bare FastAPI endpoint: same run, same machine, 1 and 2 uvicorn workers, real Redis and
RabbitMQ (`LIANFANG_TEST_REDIS_URL`, `LIANFANG_TEST_AMQP_URL`).

`uv run python bench/checkin_post.py` from the workspace root. The load comes from `wrk` (installed with apt-get when it
is missing and we are root), whose Lua script gives every request a fresh `client_id` and one of a pool of resident
tokens. Goal (issue 20, raising issue 4's 40%): the check-in reaches 50% of the bare endpoint's requests per second
on one worker and on two, with p99 under 50 ms.

Both servers get the same request: the check-in's JSON body, which the bare endpoint parses and answers with a small
JSON of its own. The check-in service runs as deployed (`lianfang.checkin.main:create_app`, settings from `LIANFANG_*`),
its checkpoint's config seeded in Redis as the registry writes it. Every check-in publishes a persistent event and waits
for RabbitMQ's confirm; `ingest.checkins` is emptied before and after each run, and the events counted there after a run
are compared with the 201s wrk saw. Keys the runs leave in Redis are deleted afterwards (the database is shared with the
test suite, so it is not flushed).

CPU time per request is read from /proc over each run: the server's processes (uvicorn and its workers) and, when they
run on this machine, `redis-server` and RabbitMQ's `beam.smp`. It tells what bounds the ratio: with one worker the
service has a core of its own, with two every part of a check-in shares the same cores."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
from fastapi import FastAPI
from harness import Process, processes, write_results

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.checkpoints import CheckpointConfig, RegionStep, config_key
from lianfang.common.forms import RESIDENTIAL_GATE
from lianfang.common.messaging import INGEST_QUEUE, LIANFANG_TOPOLOGY, connect_broker
from lianfang.common.testing import sign_token

__all__ = ["bare_app", "main"]

BENCH = Path(__file__).resolve().parent
CODE = "BNCH2345"
TOKENS = 2_000
GOAL_RATIO = 0.50
GOAL_P99_MS = 50.0

CONFIG = CheckpointConfig(
    id=9_001,
    code=CODE,
    name="压测小区东门",
    kind="community",
    kind_label="小区/社区",
    address="压测路 1 号",
    active=True,
    region_id=420,
    region_path="/1/7/42/420/",
    city_code="1301",
    regions=[
        RegionStep(id=1, name="河北省", level="province"),
        RegionStep(id=7, name="石家庄市", level="city"),
        RegionStep(id=42, name="长安区", level="county"),
        RegionStep(id=420, name="育才街道", level="township"),
    ],
    temp_valid_minutes=240,
    requires_audit=False,
    fever_threshold=37.3,
    template_id=1,
    template_version=1,
    form=RESIDENTIAL_GATE.form,
)

BODY_TEMPLATE = (
    '{"checkpoint_code":"' + CODE + '","client_id":"%s",'
    '"answers":{"name":"张三","phone":"13812345678","address":"3 号楼 2 单元 501","is_resident":true},'
    '"temperature":36.5}'
)

# One Lua state per wrk thread: `init` seeds it apart from the others, `request` builds every request afresh, `done`
# reports what wrk measured as one JSON line.
LUA = r"""
local tokens = {%(tokens)s}
local template = [==[%(template)s]==]
local counter = 0
thread_seed = 0

function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("thread_seed", thread_seed)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_seed * 7919)
end

local function uuid4()
  return string.format("%%08x-%%04x-4%%03x-%%04x-%%04x%%08x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffff), math.random(0, 0x7fffffff))
end

function request()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  local body = string.format(template, uuid4())
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "seconds": %%.3f, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d, ' ..
    '"status_errors": %%d, "socket_errors": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def bare_app() -> FastAPI:
    """The yardstick: FastAPI parsing the same body and answering, with nothing behind it."""
    app = FastAPI()

    @app.post("/bare", status_code=201)
    async def bare(body: dict[str, Any]) -> dict[str, str]:
        return {"status": "passed"}

    return app


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    status_errors: int
    socket_errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: apt-get install -y wrk")
    print("installing wrk with apt-get", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)  # noqa: S607
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit("the server did not start listening")


@dataclass(frozen=True)
class Server:
    port: int
    pid: int


@contextmanager
def _server(target: str, workers: int, environment: dict[str, str]) -> Iterator[Server]:
    """uvicorn as `lianfang serve` runs it: uvloop, httptools, no access log; stopped by its pid."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        target,
        "--app-dir",
        str(BENCH),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=environment)  # noqa: S603
    try:
        _wait_listening(port, process)
        yield Server(port, process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tree(root: int, processes: dict[int, Process]) -> set[int]:
    """The process and its descendants: uvicorn's workers are its children."""
    members = {root}
    grew = True
    while grew:
        children = {pid for pid, process in processes.items() if process.parent in members} - members
        members |= children
        grew = bool(children)
    return members


@dataclass(frozen=True)
class Cpu:
    """CPU microseconds per request of the server's processes, and of Redis and RabbitMQ when they run on this machine."""

    server_us: float
    redis_us: float | None
    broker_us: float | None


@dataclass(frozen=True)
class Watched:
    server: set[int]
    redis: set[int]
    broker: set[int]

    @classmethod
    def around(cls, server: Server, redis_url: str, amqp_url: str) -> Watched:
        running = processes()

        def named(name: str, url: str) -> set[int]:
            """The server's processes when it runs on this machine; none when it runs elsewhere."""
            if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
                return set()
            return {pid for pid, process in running.items() if process.name == name}

        return cls(
            server=_tree(server.pid, running),
            redis=named("redis-server", redis_url),
            broker=named("beam.smp", amqp_url),
        )

    def seconds(self) -> tuple[float, float, float]:
        running = processes()
        server, redis, broker = (
            sum(running[pid].cpu_seconds for pid in group if pid in running)
            for group in (self.server, self.redis, self.broker)
        )
        return server, redis, broker

    def per_request(self, before: tuple[float, float, float], requests: int) -> Cpu:
        after = self.seconds()
        server, redis, broker = (
            1e6 * (later - earlier) / max(requests, 1) for earlier, later in zip(before, after, strict=True)
        )
        return Cpu(server, redis if self.redis else None, broker if self.broker else None)


def _wrk(wrk: str, script: Path, url: str, *, connections: int, seconds: float) -> Load:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(line for line in output.splitlines() if line.startswith("{"))
    raw = json.loads(line)
    return Load(
        requests=raw["requests"],
        seconds=raw["seconds"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        status_errors=raw["status_errors"],
        socket_errors=raw["socket_errors"],
    )


async def _seed(redis_url: str, amqp_url: str) -> None:
    cache = connect_cache(redis_url)
    await cache.set(config_key(CODE), CONFIG.model_dump_json())
    await cache.aclose()
    broker = connect_broker(amqp_url)
    await broker.declare(LIANFANG_TOPOLOGY)
    await broker.close()


@dataclass(frozen=True)
class Queued:
    events: int
    messages: int


async def _drain(amqp_url: str) -> Queued:
    """Empties `ingest.checkins`, counting the events it held: a message is one event or an array of them."""
    await asyncio.sleep(1)  # check-ins still in flight when wrk stopped
    events = messages = 0
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(INGEST_QUEUE, passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            body = json.loads(message.body)
            events += len(body) if isinstance(body, list) else 1
            messages += 1
    return Queued(events, messages)


async def _clean(redis_url: str) -> int:
    cache = connect_cache(redis_url, socket_timeout=30)
    removed = 0
    for pattern in ("lianfang:checkin:*", config_key(CODE)):
        batch: list[bytes] = []
        async for key in cache.scan_iter(match=pattern, count=5_000):
            batch.append(key)
            if len(batch) >= 5_000:
                removed += await cache.unlink(*batch)
                batch.clear()
        if batch:
            removed += await cache.unlink(*batch)
    await cache.aclose()
    return removed


def _script(directory: Path) -> Path:
    tokens = [sign_token(ResidentPrincipal(uuid.uuid4()), minutes=60) for _ in range(TOKENS)]
    script = directory / "checkin.lua"
    script.write_text(LUA % {"tokens": ",".join(f'"{token}"' for token in tokens), "template": BODY_TEMPLATE})
    return script


@dataclass(frozen=True)
class Row:
    workers: int
    endpoint: str
    connections: int
    load: Load
    cpu: Cpu
    queued: Queued | None = None
    # Of a check-in row: the median, over its runs, of each run's rate to that of the bare run just before it.
    paired: float | None = None


def _measure(
    wrk: str,
    script: Path,
    *,
    workers: int,
    connections: tuple[int, ...],
    seconds: float,
    repeat: int,
    environment: dict[str, str],
    redis_url: str,
    amqp_url: str,
) -> list[Row]:
    """Both servers run side by side (the idle one costs nothing) and each run of the bare endpoint is followed at once
    by a run of the check-in: this machine's speed drifts by a quarter over minutes, and a pair of runs sees the same
    machine. Each figure is the best of `repeat` such runs."""
    bare: dict[int, Row] = {}
    checkin: dict[int, Row] = {}
    paired: dict[int, list[float]] = {}
    with (
        _server("checkin_post:bare_app", workers, environment) as bare_server,
        _server("lianfang.checkin.main:create_app", workers, environment) as checkin_server,
    ):
        bare_url = f"http://127.0.0.1:{bare_server.port}/bare"
        checkin_url = f"http://127.0.0.1:{checkin_server.port}/api/checkin/checkins"
        _wrk(wrk, script, bare_url, connections=connections[0], seconds=2)
        # Warm-up: the config cached, every token verified once, the channels to RabbitMQ open.
        _wrk(wrk, script, checkin_url, connections=connections[0], seconds=3)
        bare_watched = Watched.around(bare_server, redis_url, amqp_url)
        checkin_watched = Watched.around(checkin_server, redis_url, amqp_url)

        def run(watched: Watched, url: str, count: int) -> tuple[Load, Cpu]:
            before = watched.seconds()
            load = _wrk(wrk, script, url, connections=count, seconds=seconds)
            return load, watched.per_request(before, load.requests)

        for count in connections:
            for _ in range(repeat):
                bare_load, bare_cpu = run(bare_watched, bare_url, count)
                if count not in bare or bare_load.per_second > bare[count].load.per_second:
                    bare[count] = Row(workers, "bare", count, bare_load, bare_cpu)
                asyncio.run(_drain(amqp_url))
                load, cpu = run(checkin_watched, checkin_url, count)
                queued = asyncio.run(_drain(amqp_url))
                paired.setdefault(count, []).append(load.per_second / bare_load.per_second)
                if count not in checkin or load.per_second > checkin[count].load.per_second:
                    checkin[count] = Row(workers, "check-in", count, load, cpu, queued)
            checkin[count] = dataclasses.replace(checkin[count], paired=statistics.median(paired[count]))
            print(_line(bare[count]), flush=True)
            print(_line(checkin[count]), flush=True)
    return [bare[count] for count in connections] + [checkin[count] for count in connections]


def _line(row: Row) -> str:
    load = row.load
    queued = row.queued
    events = f", {queued.events:,} events in {queued.messages:,} messages" if queued is not None else ""
    return (
        f"{row.workers} worker(s) {row.endpoint:8} c={row.connections:<3} {load.per_second:8,.0f} req/s  "
        f"p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:6.2f} ms  non-2xx {load.status_errors}  "
        f"CPU µs/request: server {row.cpu.server_us:.0f}, Redis {_us(row.cpu.redis_us)}, "
        f"RabbitMQ {_us(row.cpu.broker_us)}{events}"
    )


def _us(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _report(rows: list[Row], seconds: float, repeat: int, load_before: float) -> str:
    lines = [
        f"Goal (issue 20): the check-in POST at ≥ {GOAL_RATIO:.0%} of the bare endpoint's requests/s on one worker and "
        f"on two, p99 < {GOAL_P99_MS:.0f} ms at that load.",
        "",
        f"`wrk -t1 -cN -d{seconds:g}s`, one wrk thread on the same machine, each bare run followed at once by a check-in "
        f"run against a server started beside it, best of {repeat} runs per figure (load "
        f"average {load_before:.2f} when the bench started); every request a fresh `client_id`, one of "
        f"{TOKENS:,} resident tokens (each verified once, then remembered by the service); temperature given, so "
        "every check-in is a new measurement. Bare: FastAPI parsing the same body. Check-in: "
        "`lianfang.checkin.main:create_app` against the real Redis and RabbitMQ; events = those found in "
        "`ingest.checkins` after the run (each one confirmed before its 201), and the messages that carried them "
        "(the events of one moment travel together).",
        "",
        "`vs bare`: the best check-in run against the best bare run; `paired`: the median of each check-in run "
        "against the bare run just before it, which saw the same machine.",
        "",
        "CPU µs per request: the server's processes, and Redis and RabbitMQ (when they run on this machine) over the "
        "same run; wrk's own share is not counted.",
        "",
        "| workers | endpoint | connections | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | events | messages "
        "| vs bare | paired | server CPU µs | Redis µs | RabbitMQ µs |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        bare = next(
            other
            for other in rows
            if other.endpoint == "bare" and other.workers == row.workers and other.connections == row.connections
        )
        ratio = row.load.per_second / bare.load.per_second
        load = row.load
        lines.append(
            f"| {row.workers} | {row.endpoint} | {row.connections} | {load.per_second:,.0f} | {load.p50_ms:.1f} | "
            f"{load.p90_ms:.1f} | {load.p99_ms:.1f} | {load.status_errors + load.socket_errors} | "
            f"{' | ' if row.queued is None else f'{row.queued.events:,} | {row.queued.messages:,}'} | {ratio:.0%} | "
            f"{'' if row.paired is None else f'{row.paired:.0%}'} | {row.cpu.server_us:.0f} | "
            f"{_us(row.cpu.redis_us)} | {_us(row.cpu.broker_us)} |"
        )
    lines += ["", "Verdict per worker count (best bare throughput as the yardstick):", ""]
    for workers in sorted({row.workers for row in rows}):
        best_bare = max(row.load.per_second for row in rows if row.workers == workers and row.endpoint == "bare")
        within = [
            row
            for row in rows
            if row.workers == workers and row.endpoint == "check-in" and row.load.p99_ms < GOAL_P99_MS
        ]
        if not within:
            lines.append(f"- {workers} worker(s): no check-in run kept p99 under {GOAL_P99_MS:.0f} ms.")
            continue
        best = max(within, key=lambda row: row.load.per_second)
        ratio = best.load.per_second / best_bare
        verdict = "meets" if ratio >= GOAL_RATIO else "misses"
        lines.append(
            f"- {workers} worker(s): check-in {best.load.per_second:,.0f} req/s at p99 {best.load.p99_ms:.1f} ms "
            f"(c={best.connections}) = {ratio:.0%} of the bare endpoint's best {best_bare:,.0f} req/s: {verdict} the goal "
            f"(paired with the bare runs beside it: {best.paired or 0:.0%}). {_cpu_bound(best, rows)}"
        )
    return "\n".join(lines)


def _cpu_bound(checkin: Row, rows: list[Row]) -> str:
    """What the CPU figures allow: the check-in's rate to the bare endpoint's cannot pass the inverse of their costs."""
    bare = next(
        row
        for row in rows
        if row.endpoint == "bare" and row.workers == checkin.workers and row.connections == checkin.connections
    )
    cpu = checkin.cpu
    machine = cpu.server_us + (cpu.redis_us or 0) + (cpu.broker_us or 0)
    return (
        f"A check-in cost {machine:.0f} µs of CPU ({cpu.server_us:.0f} in the service, {_us(cpu.redis_us) or '?'} in "
        f"Redis, {_us(cpu.broker_us) or '?'} in RabbitMQ) against {bare.cpu.server_us:.0f} µs for a bare request: "
        f"{bare.cpu.server_us / cpu.server_us:.0%} where the service has cores of its own, "
        f"{bare.cpu.server_us / machine:.0%} where it shares them with Redis and RabbitMQ."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", default="16,32,64", help="comma separated connection counts for wrk")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is reported")
    args = parser.parse_args()
    # The test suite flushes its Redis database after every test: a bench sharing it with a running suite loses its
    # checkpoint config midway. `LIANFANG_BENCH_REDIS_URL` names another database of the same server.
    redis_url = os.environ.get("LIANFANG_BENCH_REDIS_URL") or os.environ.get("LIANFANG_TEST_REDIS_URL")
    amqp_url = os.environ.get("LIANFANG_TEST_AMQP_URL")
    if not (redis_url and amqp_url):
        sys.exit(
            "set LIANFANG_TEST_REDIS_URL and LIANFANG_TEST_AMQP_URL: the bench runs against real Redis and RabbitMQ"
        )
    wrk = _ensure_wrk()
    connections = tuple(int(count) for count in args.connections.split(","))
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LIANFANG_") or key.startswith("LIANFANG_TEST_")
    } | {
        "LIANFANG_REDIS_URL": redis_url,
        "LIANFANG_BROKER_URL": amqp_url,
        "LIANFANG_LOG_LEVEL": "WARNING",
        # 2,000 made-up residents post thousands of check-ins a second: each far more than a person's share, which the
        # per-resident limit would refuse (its cost, a dictionary look-up, stays in the measure).
        "LIANFANG_CHECKIN_BURST": "1000",
        "LIANFANG_CHECKIN_RATE_PER_SECOND": "100",
    }
    load_before = os.getloadavg()[0]
    asyncio.run(_seed(redis_url, amqp_url))
    asyncio.run(_drain(amqp_url))
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory() as directory:
            script = _script(Path(directory))
            for workers in (int(count) for count in args.workers.split(",")):
                rows += _measure(
                    wrk,
                    script,
                    workers=workers,
                    connections=connections,
                    seconds=args.seconds,
                    repeat=args.repeat,
                    environment=environment,
                    redis_url=redis_url,
                    amqp_url=amqp_url,
                )
    finally:
        asyncio.run(_drain(amqp_url))
        removed = asyncio.run(_clean(redis_url))
        print(f"removed {removed:,} keys from Redis", flush=True)
    report = _report(rows, args.seconds, args.repeat, load_before)
    print(report)
    path = write_results("checkin_post", "Check-in POST against a bare endpoint", report)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
