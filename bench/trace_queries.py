"""Trace on ten million records in MariaDB: what an admin waits for.

`uv run python bench/trace_queries.py [--records 10000000]` from the workspace root, with `LIANFANG_TEST_MYSQL_URL`
naming the MariaDB server. The records (and the registry with the regions and checkpoints they name) are generated once
by `lianfang demo-records` into `lianfang_bench_records` and `lianfang_bench_registry` and reused while their count is
right; a reused store is migrated first, so one made before the rollups gets them from migration 0003 (which counts
them from the records). Trace and the registry run in this process and are asked through their HTTP API (httpx's
ASGITransport): every figure includes routing, validation, the names from the registry (cached after a warm-up) and the
JSON answer. Statistics are asked as the dashboard asks them: periods that end a second after the newest record, so
every edge is ragged (the minutes from the records, the hours from `record_hours`, the days from `record_days`).

Goals (issue 5): a newest-first page at every level of the tree p99 < 50 ms; a trajectory < 100 ms; contact screening
of a person with 20 visits < 500 ms; a city's 30-day statistics < 1 s; an export of a million rows with the trace
process's peak memory under 200 MB. For the export trace runs in a uvicorn process of its own and is read through a
socket; its peak RSS (VmHWM) is the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from harness import write_results
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.routing import Mount

from lianfang.allinone.demo_records import generate_records
from lianfang.common.auth import AdminPrincipal, TokenSigner
from lianfang.common.contracts.regions import ROOT_REGION_ID
from lianfang.common.contracts.rollups import DAYS, HOURS
from lianfang.common.db.migrate import upgrade
from lianfang.common.pii import PiiCipher
from lianfang.common.settings import SigningSettings
from lianfang.ingest.main import MIGRATIONS as RECORDS_MIGRATIONS
from lianfang.ingest.rows import RECORDS
from lianfang.registry import main as registry
from lianfang.registry.settings import RegistrySettings
from lianfang.trace import main as trace
from lianfang.trace.settings import TraceSettings

__all__ = ["main"]

RECORDS_DATABASE = "lianfang_bench_records"
REGISTRY_DATABASE = "lianfang_bench_registry"
TRACE_DATABASE = "lianfang_bench_trace"
LEVELS = ("province", "city", "county", "township", "unit")
GOALS_MS = {"page": 50.0, "trajectory": 100.0, "contacts": 500.0, "stats": 1000.0}
EXPORT_ROWS = 1_000_000
EXPORT_RSS_MB = 200
VISITS = 20
SEED = 2020


@dataclass(frozen=True)
class Databases:
    server: str

    def url(self, name: str) -> str:
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    @property
    def records(self) -> str:
        return self.url(RECORDS_DATABASE)

    @property
    def registry(self) -> RegistrySettings:
        return RegistrySettings(registry_database_url=self.url(REGISTRY_DATABASE))

    def trace(self) -> TraceSettings:
        return TraceSettings(
            records_database_url=self.records,
            trace_database_url=self.url(TRACE_DATABASE),
            registry_url="http://registry.internal",
        )


async def _count(engine: AsyncEngine) -> int | None:
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(RECORDS)) or 0)
    except Exception:  # no database, or no table yet: generate
        return None


async def _recreate(server: AsyncEngine, *names: str) -> None:
    async with server.begin() as connection:
        for name in names:
            await connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            await connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))


async def ensure_records(databases: Databases, count: int) -> str:
    """The records, generated unless the database holds exactly `count`; answers how they came to be."""
    server = create_async_engine(databases.server)
    records = create_async_engine(databases.records)
    try:
        found = await _count(records)
        if found == count:
            return await _migrated(databases, records, count)
        await _recreate(server, RECORDS_DATABASE, REGISTRY_DATABASE)
    finally:
        await records.dispose()
        await server.dispose()
    print(f"generating {count:,} records (found {found}) …", flush=True)
    generated = await generate_records(
        records=count, days=30, seed=SEED, records_url=databases.records, registry=databases.registry
    )
    return (
        f"generated by `lianfang demo-records` in {generated.seconds:,.0f} s "
        f"({generated.rows_per_second:,.0f} records/s, secondary indexes built after the load)"
    )


async def _rollup_rows(engine: AsyncEngine) -> int | None:
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(DAYS)) or 0)
    except Exception:  # no table yet: the migration makes it
        return None


async def _migrated(databases: Databases, records: AsyncEngine, count: int) -> str:
    """The reused store brought to the records store's latest revision: one made before the rollups gets them."""
    before = await _rollup_rows(records)
    started = time.perf_counter()
    print("migrating the records store …", flush=True)
    await upgrade(RECORDS_MIGRATIONS, databases.records)
    reused = f"reused ({count:,} records found in `{RECORDS_DATABASE}`)"
    if before is None:
        return f"{reused}; migration 0003 counted them into the rollups in {time.perf_counter() - started:,.0f} s"
    return reused


@asynccontextmanager
async def services(databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    """The registry and trace in this process; trace reaches the registry in-process as the all-in-one server does."""
    server = create_async_engine(databases.server)
    async with server.begin() as connection:
        await connection.execute(text(f"CREATE DATABASE IF NOT EXISTS `{TRACE_DATABASE}` CHARACTER SET utf8mb4"))
    await server.dispose()
    settings = databases.trace()
    await upgrade(trace.MIGRATIONS, settings.trace_database_url)
    registry_app = registry.create_app(databases.registry)
    trace_app = trace.create_app(settings, registry_transport=httpx.ASGITransport(app=registry_app))
    async with AsyncExitStack() as stack:
        for app in (registry_app, trace_app):
            await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=trace_app), base_url="http://trace.bench", timeout=900)
        )
        yield client


def _headers(region_id: int, path: str) -> dict[str, str]:
    signing = SigningSettings()
    principal = AdminPrincipal(uuid.uuid4(), region_id, path)
    token = TokenSigner(signing.jwt_private_key, issuer=signing.jwt_issuer, lifetime=timedelta(hours=2)).sign(principal)
    return {"Authorization": f"Bearer {token}"}


async def _regions(databases: Databases) -> dict[str, list[tuple[int, str]]]:
    """Every region under the root by level, with its path, from the registry's tree."""
    app = registry.create_app(databases.registry)
    by_level: dict[str, list[tuple[int, str]]] = {level: [] for level in LEVELS}

    def walk(node: dict[str, Any], path: str) -> None:
        here = f"{path}{node['id']}/"
        by_level[node["level"]].append((node["id"], here))
        for child in node["children"]:
            walk(child, here)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry.bench") as client,
    ):
        response = await client.get(
            "/api/registry/regions/tree", headers=_headers(ROOT_REGION_ID, f"/{ROOT_REGION_ID}/")
        )
        response.raise_for_status()
        walk(response.json(), "/")
    return by_level


@dataclass(frozen=True)
class Person:
    phone: str
    visits: int


async def _people(databases: Databases, start: datetime, end: datetime, wanted: int) -> list[Person]:
    """People with exactly `VISITS` visits in the period, by phone (decrypted here: trace is asked as an admin asks)."""
    engine = create_async_engine(databases.records)
    pii = PiiCipher(SigningSettings().pii_keys)
    found: list[Person] = []
    try:
        async with engine.connect() as connection:
            recent = await connection.execute(
                select(RECORDS.c.phone_hash, RECORDS.c.phone_encrypted)
                .where(RECORDS.c.province_id == ROOT_REGION_ID, RECORDS.c.checked_at < end)
                .order_by(RECORDS.c.checked_at.desc())
                .limit(20_000)
            )
            candidates = {row.phone_hash: row.phone_encrypted for row in recent if row.phone_hash}
            for phone_hash, encrypted in candidates.items():
                visits = await connection.scalar(
                    select(func.count()).where(
                        RECORDS.c.phone_hash == phone_hash,
                        RECORDS.c.checked_at >= start,
                        RECORDS.c.checked_at < end,
                        RECORDS.c.companion_of.is_(None),
                    )
                )
                if visits == VISITS:
                    found.append(Person(pii.decrypt(encrypted), VISITS))
                    if len(found) == wanted:
                        break
    finally:
        await engine.dispose()
    return found


async def _newest(databases: Databases) -> datetime:
    engine = create_async_engine(databases.records)
    try:
        async with engine.connect() as connection:
            newest = await connection.scalar(
                select(func.max(RECORDS.c.checked_at)).where(RECORDS.c.province_id == ROOT_REGION_ID)
            )
    finally:
        await engine.dispose()
    assert isinstance(newest, datetime)
    return newest


async def _timed(requests: int, call: Callable[[int], Awaitable[httpx.Response]]) -> list[float]:
    timings = []
    for index in range(requests):
        started = time.perf_counter()
        response = await call(index)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{response.request.url} answered {response.status_code}: {response.text[:500]}")
    return timings


def _percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _line(what: str, timings: list[float], goal: float | None, note: str = "") -> str:
    if not timings:
        # A store too small for the query (nobody with enough visits): a check of the script, not a figure.
        return f"| {what} | 0 | | | | | not measured | {note} |"
    p50, p99 = statistics.median(timings), _percentile(timings, 0.99)
    verdict = "" if goal is None else ("met" if p99 < goal else "**missed**")
    goal_text = "" if goal is None else f"< {goal:,.0f} ms"
    return f"| {what} | {len(timings)} | {p50:,.1f} | {p99:,.1f} | {max(timings):,.1f} | {goal_text} | {verdict} | {note} |"


def _iso(at: datetime) -> str:
    return at.isoformat()


async def measure(databases: Databases, requests: int, stats_requests: int) -> list[str]:
    newest = await _newest(databases)
    month = {"from": _iso(newest - timedelta(days=30)), "to": _iso(newest + timedelta(seconds=1))}
    fortnight_start, end = newest - timedelta(days=14), newest + timedelta(seconds=1)
    regions = await _regions(databases)
    people = await _people(databases, fortnight_start, end, 20)
    lines = []
    async with services(databases) as client:
        for level in LEVELS:
            chosen = regions[level]

            async def page(index: int, chosen: list[tuple[int, str]] = chosen) -> httpx.Response:
                region_id, path = chosen[index % len(chosen)]
                return await client.get(
                    "/api/trace/records", params=month | {"limit": 50}, headers=_headers(region_id, path)
                )

            await _timed(min(20, requests), page)  # warm-up: the registry's names of the first pages
            timings = await _timed(requests, page)
            lines.append(_line(f"records, newest 50, {level}", timings, GOALS_MS["page"], f"{len(chosen)} regions"))
            print(lines[-1], flush=True)

        root = _headers(ROOT_REGION_ID, f"/{ROOT_REGION_ID}/")
        period = {"from": _iso(fortnight_start), "to": _iso(end)}

        async def trajectory(index: int) -> httpx.Response:
            params = period | {"phone": people[index % len(people)].phone, "reason": "流调"}
            return await client.get("/api/trace/people/trajectory", params=params, headers=root)

        timings = await _timed(requests // 4, trajectory)
        lines.append(
            _line(f"trajectory, {VISITS} visits in 14 days", timings, GOALS_MS["trajectory"], f"{len(people)} people")
        )
        print(lines[-1], flush=True)

        async def contacts(index: int) -> httpx.Response:
            body = period | {"phone": people[index % len(people)].phone, "window_minutes": 30, "reason": "流调"}
            return await client.post("/api/trace/contacts", json=body, headers=root)

        timings = await _timed(len(people), contacts)
        lines.append(
            _line(
                f"contact screening, {VISITS} visits, ±30 min", timings, GOALS_MS["contacts"], f"{len(people)} people"
            )
        )
        print(lines[-1], flush=True)

        # By the hour a period may span 7 days (LIANFANG_STATS_MAX_HOURLY_DAYS) and no more.
        week = {"from": _iso(end - timedelta(days=7)), "to": month["to"]}
        for level, period, granularity, what in (
            ("city", month, "day", "statistics, a city, 30 days by day"),
            ("city", week, "hour", "statistics, a city, 7 days by hour"),
            ("province", month, "day", "statistics, the province, 30 days by day"),
            ("county", month, "day", "statistics, a county, 30 days by day"),
            ("unit", month, "day", "statistics, a unit, 30 days by day"),
        ):
            chosen = regions[level]

            async def stats(
                index: int,
                chosen: list[tuple[int, str]] = chosen,
                period: dict[str, str] = period,
                by: str = granularity,
            ) -> httpx.Response:
                region_id, _ = chosen[index % len(chosen)]
                params: dict[str, str | int] = {"region_id": region_id, "granularity": by, **period}
                return await client.get("/api/trace/stats", params=params, headers=root)

            timings = await _timed(stats_requests, stats)
            lines.append(_line(what, timings, GOALS_MS["stats"], f"{len(chosen)} regions"))
            print(lines[-1], flush=True)
    return lines


def _serve_trace(databases: Databases, port: int) -> None:
    """Trace (with the registry behind it in-process) served by uvicorn on `port`, until killed: the export is measured
    through a real socket, since httpx's ASGITransport would hold a whole answer in memory."""
    settings = databases.trace()
    asyncio.run(upgrade(trace.MIGRATIONS, settings.trace_database_url))
    registry_app = registry.create_app(databases.registry)
    trace_app = trace.create_app(settings, registry_transport=httpx.ASGITransport(app=registry_app))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with (
            registry_app.router.lifespan_context(registry_app),
            trace_app.router.lifespan_context(trace_app),
        ):
            yield

    root = Starlette(lifespan=lifespan, routes=[Mount("/", app=trace_app)])
    uvicorn.run(root, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _export_over_http(port: int, pid: int, region_id: int, path: str, start: str, end: str) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)
    before = _peak_rss_mb(pid)
    rows = 0
    first_byte = 0.0
    started = time.perf_counter()
    params = {"from": start, "to": end}
    with httpx.stream(
        "GET", f"{base}/api/trace/export.csv", params=params, headers=_headers(region_id, path), timeout=900
    ) as response:
        if response.status_code != 200:
            raise RuntimeError(f"export answered {response.status_code}: {response.read()[:500]!r}")
        for chunk in response.iter_bytes():
            if not first_byte:
                first_byte = time.perf_counter() - started
            rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    return {
        "rows": rows - 1,
        "seconds": seconds,
        "first_byte": first_byte,
        "rss_before_mb": before,
        "rss_peak_mb": _peak_rss_mb(pid),
    }


async def _export_period(databases: Databases) -> tuple[int, str, str, str]:
    """A city and the most recent period that holds about a million of its records."""
    newest = await _newest(databases)
    regions = await _regions(databases)
    region_id, path = regions["city"][0]
    engine = create_async_engine(databases.records)
    try:
        async with engine.connect() as connection:
            nth = await connection.scalar(
                select(RECORDS.c.checked_at)
                .where(RECORDS.c.city_id == region_id)
                .order_by(RECORDS.c.checked_at.desc())
                .offset(EXPORT_ROWS - 1)
                .limit(1)
            )
    finally:
        await engine.dispose()
    assert isinstance(nth, datetime)
    return region_id, path, _iso(nth), _iso(newest + timedelta(seconds=1))


def export_in_child(databases: Databases) -> str:
    """A million rows exported by trace running in a uvicorn process of its own, whose peak RSS (VmHWM) is read."""
    region_id, path, start, end = asyncio.run(_export_period(databases))
    port = _free_port()
    command = [sys.executable, __file__, "--serve-trace", str(port)]
    server = subprocess.Popen(command, env=os.environ | {"LIANFANG_LOG_LEVEL": "WARNING"})  # noqa: S603 - this script
    try:
        figures = _export_over_http(port, server.pid, region_id, path, start, end)
    finally:
        server.terminate()
        server.wait(timeout=30)
    verdict = "met" if figures["rss_peak_mb"] < EXPORT_RSS_MB else "**missed**"
    return (
        f"| export.csv, a city's newest {figures['rows']:,.0f} rows | {figures['seconds']:,.1f} s | "
        f"{figures['rows'] / figures['seconds']:,.0f} rows/s | first byte {figures['first_byte'] * 1000:,.0f} ms | "
        f"{figures['rss_before_mb']:,.0f} MB | {figures['rss_peak_mb']:,.0f} MB | < {EXPORT_RSS_MB} MB: {verdict} |"
    )


async def _server_facts(databases: Databases) -> list[str]:
    """What explains the figures: the buffer pool against the tables, and how MariaDB reads a city's month of days."""
    engine = create_async_engine(databases.records)
    try:
        async with engine.connect() as connection:
            pool = int(await connection.scalar(text("SELECT @@innodb_buffer_pool_size")) or 0)
            sizes = {
                row.TABLE_NAME: (int(row.size or 0), int(row.TABLE_ROWS or 0))
                for row in await connection.execute(
                    text(
                        "SELECT TABLE_NAME, DATA_LENGTH + INDEX_LENGTH AS size, TABLE_ROWS FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('records', 'record_hours', 'record_days')"
                    )
                )
            }
            hours = int(await connection.scalar(select(func.count()).select_from(HOURS)) or 0)
            days = int(await connection.scalar(select(func.count()).select_from(DAYS)) or 0)
            city = await connection.scalar(select(DAYS.c.city_id).limit(1))
            plan = (
                (
                    await connection.execute(
                        text(
                            "EXPLAIN SELECT SUM(records), SUM(abnormal), SUM(pending), day, county_id FROM record_days "
                            "WHERE city_id = :city AND day >= CURRENT_DATE - INTERVAL 30 DAY GROUP BY day, county_id"
                        ),
                        {"city": city},
                    )
                )
                .mappings()
                .one()
            )
    finally:
        await engine.dispose()
    return [
        f"InnoDB buffer pool {pool / 2**20:,.0f} MiB; `records` (data and indexes) "
        f"{sizes.get('records', (0, 0))[0] / 2**30:,.1f} GiB; `record_hours` {hours:,} rows, "
        f"{sizes.get('record_hours', (0, 0))[0] / 2**20:,.0f} MiB; `record_days` {days:,} rows, "
        f"{sizes.get('record_days', (0, 0))[0] / 2**20:,.1f} MiB.",
        f"A city's month by day (EXPLAIN on `record_days`): key `{plan['key']}`, about {int(plan['rows']):,} rows, "
        f"`{plan['Extra']}`; the hours at the month's ragged ends come from `record_hours` the same way, the minutes "
        "before the first whole hour and after the last from `records`.",
    ]


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split(" ")[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000_000, help="records in the bench database (10,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per page level (200)")
    parser.add_argument("--stats-requests", type=int, default=50, help="requests per statistics line (50)")
    parser.add_argument("--serve-trace", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    server = os.environ.get("LIANFANG_TEST_MYSQL_URL")
    if not server:
        # `make bench` runs on machines without MariaDB too: nothing to measure there.
        print("trace_queries skipped: set LIANFANG_TEST_MYSQL_URL to the MariaDB server to measure it")
        return
    databases = Databases(server)
    if args.serve_trace:
        _serve_trace(databases, args.serve_trace)
        return
    origin = asyncio.run(ensure_records(databases, args.records))
    load_before = _load()
    header = [
        "| query | requests | p50 ms | p99 ms | max ms | goal (p99) | | |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    print("\n".join(header), flush=True)
    lines = asyncio.run(measure(databases, args.requests, args.stats_requests))
    export_header = [
        "| export | time | throughput | | RSS at start | peak RSS | goal |",
        "| --- | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    export_line = export_in_child(databases)
    print(export_line, flush=True)
    facts = asyncio.run(_server_facts(databases))
    body = "\n".join(
        [
            f"{args.records:,} records over 30 days in MariaDB, {origin}. Load average (1, 5, 15 min) before the "
            f"queries {load_before}, after them {_load()}: the machine is shared with other engineers' builds and tests.",
            "",
            *header,
            *lines,
            "",
            *export_header,
            export_line,
            "",
            *facts,
        ]
    )
    print(write_results("trace_queries", "Trace queries on ten million records", body))


if __name__ == "__main__":
    main()
