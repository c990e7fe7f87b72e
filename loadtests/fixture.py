"""Before and after a load run (`make loadtest`): `prepare` makes the run's own city of gates and accounts through the
cluster's API; `count` holds the check-ins Locust saw confirmed against the records store and writes the figures to
bench/results/loadtest-<users>.md."""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from lianfang.allinone.cluster import ClusterSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from harness import RESULTS, write_results

PASSWORD = "Load-test-2026"
FIRST_PASSWORD = "Load-first-2026"  # what the root sets; each account changes it to PASSWORD, as a new account must
# deploy/nginx.conf's `lianfang` log format: address [time] "request" status bytes request_time …
_ACCESS_LINE = re.compile(
    r'^\S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>[^ ?"]*)[^"]*" (?P<status>\d{3}) \d+ (?P<seconds>[\d.]+) '
)
# The load generator was the bottleneck when it took this share of the machine's CPU, or when Locust's median was this
# many times nginx's (plus a margin for the network and TLS): its figures then describe its own queue.
_GENERATOR_CPU_SHARE = 0.35
_GENERATOR_SLOWDOWN = 3.0
GATES = 40
AUDITED = 10


def _root_password(settings: ClusterSettings) -> str:
    return os.environ.get("LIANFANG_ROOT_PASSWORD") or (settings.run_dir / "root-password.txt").read_text().strip()


def prepare(fixture: Path) -> None:
    settings = ClusterSettings()
    suffix = time.strftime("%H%M%S")
    with httpx.Client(base_url=settings.https_url, verify=False, timeout=30.0) as client:
        login = client.post("/api/auth/admin/login", json={"username": "admin", "password": _root_password(settings)})
        login.raise_for_status()
        root = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def create(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = client.post(path, json=body, headers=root)
            if response.status_code != 201:
                raise SystemExit(f"{path}: {response.status_code} {response.text}")
            created: dict[str, Any] = response.json()
            return created

        accounts = itertools.count(1)

        def add_account(body: dict[str, Any]) -> None:
            create("/api/auth/admins", body | {"password": FIRST_PASSWORD})
            # Each person logs in from their own phone: nginx allows an address ten password logins a minute.
            first = client.post(
                "/api/auth/admin/login",
                json={"username": body["username"], "password": FIRST_PASSWORD},
                headers={"X-Forwarded-For": f"10.250.0.{next(accounts)}"},
            )
            first.raise_for_status()
            change = {"old_password": FIRST_PASSWORD, "new_password": PASSWORD}
            headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
            client.post("/api/auth/me/password", json=change, headers=headers).raise_for_status()

        city = create("/api/registry/regions", {"parent_id": 1, "name": f"压测市{suffix}"})
        county = create("/api/registry/regions", {"parent_id": city["id"], "name": "压测区"})
        templates = client.get("/api/registry/templates", headers=root).json()["items"]
        template = next(item["id"] for item in templates if item["builtin"] == "residential_gate")
        gates = [
            create(
                "/api/registry/checkpoints",
                {
                    "region_id": county["id"],
                    "name": f"压测小区{number:02d}号门",
                    "kind": "community",
                    "template_id": template,
                    "temp_valid_minutes": 240,
                    "requires_audit": number < AUDITED,
                },
            )
            for number in range(GATES)
        ]
        admin = f"load_admin_{suffix}"
        add_account({"username": admin, "name": "压测管理员", "region_id": county["id"], "role": "admin"})
        staff = []
        for gate in gates[:AUDITED]:
            username = f"load_gate_{suffix}_{gate['id']}"
            add_account(
                {
                    "username": username,
                    "name": "压测门岗",
                    "region_id": county["id"],
                    "role": "staff",
                    "checkpoint_ids": [gate["id"]],
                }
            )
            staff.append({"username": username, "checkpoint_id": gate["id"]})
    fixture.write_text(
        json.dumps(
            {
                "region_id": county["id"],
                "checkpoint_ids": [gate["id"] for gate in gates],
                "checkpoint_codes": [gate["code"] for gate in gates],
                "staff": staff,
                "admin": admin,
                "password": PASSWORD,
            },
            ensure_ascii=False,
        )
    )
    print(f"loadtest: {GATES} gates ({AUDITED} audited) in region {county['id']}, fixture in {fixture}")


async def _stored(url: str, checkpoint_ids: list[int]) -> tuple[int, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            query = text(
                "SELECT COUNT(*), COUNT(DISTINCT client_key) FROM records WHERE checkpoint_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True))
            rows, keys = (await connection.execute(query, {"ids": checkpoint_ids})).one()
            return int(rows), int(keys)
    finally:
        await engine.dispose()


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def count(fixture: Path, confirmed_dir: Path, prefix: str, users: int, duration: str, load: str) -> int:
    settings = ClusterSettings()
    url = os.environ.get("LIANFANG_RECORDS_DATABASE_URL") or make_url(settings.cluster_mysql_url).set(
        database=f"{settings.cluster_database_prefix}records"
    ).render_as_string(hide_password=False)
    checkpoint_ids = json.loads(fixture.read_text())["checkpoint_ids"]
    confirmed = {line for path in confirmed_dir.glob("*.txt") for line in path.read_text().split()}
    # The worker stores a batch within moments of its publish; give a backlog time to drain, and stop once it has.
    stored, keys, last_change, previous = 0, 0, time.monotonic(), -1
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        stored, keys = asyncio.run(_stored(url, checkpoint_ids))
        if stored != previous:
            previous, last_change = stored, time.monotonic()
        if stored >= len(confirmed) and time.monotonic() - last_change > 5:
            break
        if time.monotonic() - last_change > 30:
            break
        time.sleep(1)

    totals = _aggregated(Path(f"{prefix}_stats.csv"))
    steady = _steady(Path(f"{prefix}_stats_history.csv"), users)
    window = _window(Path(f"{prefix}_stats_history.csv"))
    served = _served(settings, window) if window else []
    locust_rows = [row for row in _rows(Path(f"{prefix}_stats.csv")) if row["Name"] != "Aggregated"]
    usage = _usage(Path(f"{prefix}_processes.csv"), window) if window else {}
    lines = [
        f"Locust, headless, {users} users for {duration}, through nginx at {settings.https_url} "
        f"({settings.cluster_formation}); reports: `{Path(prefix).name}_*.csv`, `{Path(prefix).name}.html`.",
        f"Load average (1, 5, 15 min) at the end of the run: {load}.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| requests | {totals.get('Request Count', '?')} |",
        f"| failed requests | {totals.get('Failure Count', '?')} |",
        f"| requests per second (whole run) | {totals.get('Requests/s', '?')} |",
        f"| with all {users} users running: requests per second | {steady.get('rate', '?')} |",
        f"| every request as nginx timed it, p50 / p99 / max (ms) | {_figures([one.ms for one in served])} |",
        f"| check-ins confirmed to clients (distinct client_id) | {len(confirmed)} |",
        f"| records stored for the run's gates | {stored} (distinct client keys {keys}) |",
        f"| confirmed but not stored | {max(0, len(confirmed) - keys)} |",
        "",
        *_steps_table(locust_rows, served),
        "",
        *_usage_tables(usage),
    ]
    if warning := _generator_warning(locust_rows, served, usage):
        lines[2:2] = ["", f"**Warning: {warning}**"]
    path = write_results(f"loadtest-{users}", f"Load test: {users} users", "\n".join(lines))
    print("\n".join(lines))
    print(f"loadtest: figures in {path}")
    return 0 if stored == keys == len(confirmed) and totals.get("Failure Count") == "0" else 1


@dataclass(frozen=True)
class _Request:
    """One request as nginx timed it (`$request_time`): from its first byte read to its last byte sent."""

    at: datetime
    method: str
    path: str
    status: int
    ms: float


def _window(history: Path) -> tuple[datetime, datetime] | None:
    stamps = [int(row["Timestamp"]) for row in _rows(history)]
    if not stamps:
        return None
    return datetime.fromtimestamp(min(stamps), UTC), datetime.fromtimestamp(max(stamps), UTC)


def _served(settings: ClusterSettings, window: tuple[datetime, datetime]) -> list[_Request]:
    """The run's requests from the cluster's access log: how long the cluster took, without the time a request spent
    waiting inside the load generator."""
    log = settings.run_dir / "logs" / "nginx.1.log"
    if not log.exists():
        return []
    start, end = window
    found = []
    for line in log.read_text(errors="replace").splitlines():
        match = _ACCESS_LINE.match(line)
        if match and start <= (at := datetime.fromisoformat(match["time"])) <= end:
            found.append(
                _Request(at, match["method"], match["path"], int(match["status"]), float(match["seconds"]) * 1000)
            )
    return found


def _figures(values: list[float]) -> str:
    """p50 / p99 / max, in whole milliseconds."""
    if not values:
        return "?"
    ordered = sorted(values)
    return " / ".join(f"{ordered[min(len(ordered) - 1, int(len(ordered) * share))]:.0f}" for share in (0.5, 0.99, 1.0))


def _step_pattern(row: dict[str, str]) -> tuple[str, re.Pattern[str]]:
    """Locust's name of a step (`/api/checkin/checkpoints/[code]`) as a pattern of the paths nginx logged."""
    path = re.sub(r"\\\[[a-z_]+\\\]", "[^/]+", re.escape(row["Name"]))
    return row["Type"], re.compile(f"{path}$")


def _of_step(row: dict[str, str], served: list[_Request]) -> list[_Request]:
    method, pattern = _step_pattern(row)
    return [one for one in served if one.method == method and pattern.match(one.path)]


def _steps_table(rows: list[dict[str, str]], served: list[_Request]) -> list[str]:
    """Each step as Locust saw it (its queue included) beside what nginx timed, and nginx's p99 in the run's first and
    last quarter (a long run whose latency grows has a leak or a backlog), and the statuses nginx answered (a 401 on the
    form sends a phone back to log in)."""
    lines = [
        "Per step: Locust's figures include the time a request waited inside the load generator; nginx's are the "
        "server's own.",
        "",
        "| step | requests | failed | Locust p50 / p99 (ms) | nginx p50 / p99 / max (ms) | nginx p99, first → last quarter "
        "| nginx statuses |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        mine = _of_step(row, served)
        quarters = "?"
        if mine:
            first, last = mine[0].at, mine[-1].at
            span = (last - first) / 4
            early = [one.ms for one in mine if one.at <= first + span]
            late = [one.ms for one in mine if one.at >= last - span]
            quarters = f"{_figures(early).split(' / ')[1]} → {_figures(late).split(' / ')[1]}"
        lines.append(
            f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{row['50%']} / {row['99%']} | {_figures([one.ms for one in mine])} | {quarters} | {_statuses(mine)} |"
        )
    return lines


def _statuses(served: list[_Request]) -> str:
    counts = Counter(one.status for one in served)
    return ", ".join(f"{status} × {count}" for status, count in sorted(counts.items())) or "?"


@dataclass
class _Usage:
    """A group of processes over the run: CPU seconds spent and each process's resident memory, sample by sample."""

    cpu_seconds: float = 0.0
    rss: dict[int, list[int]] = field(default_factory=dict)


def _usage(samples: Path, window: tuple[datetime, datetime]) -> dict[str, _Usage]:
    """What each group of processes took over the run, from `loadtests/sampler.py`'s CSV."""
    start, end = (moment.timestamp() for moment in window)
    cpu: dict[int, list[float]] = {}
    groups: dict[str, _Usage] = {}
    for row in _rows(samples):
        if not start <= float(row["time"]) <= end:
            continue
        pid = int(row["pid"])
        usage = groups.setdefault(row["group"], _Usage())
        usage.rss.setdefault(pid, []).append(int(row["rss_bytes"]))
        cpu.setdefault(pid, []).append(float(row["cpu_seconds"]))
    for usage in groups.values():
        usage.cpu_seconds = sum(cpu[pid][-1] - cpu[pid][0] for pid in usage.rss)
    return groups


def _usage_tables(usage: dict[str, _Usage]) -> list[str]:
    if not usage:
        return ["(no process samples: `loadtests/sampler.py` did not run)"]
    capacity = sum(group.cpu_seconds for group in usage.values()) or 1.0
    cores = os.cpu_count() or 1
    lines = [
        f"CPU over the run, by group (share of all the CPU the groups used on {cores} cores), and each process's "
        "resident memory at the start, the end and its largest:",
        "",
        "| group | CPU s | share | process | RSS start → end (max), MB |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, group in sorted(usage.items(), key=lambda item: -item[1].cpu_seconds):
        for number, (pid, rss) in enumerate(sorted(group.rss.items())):
            figures = f"{rss[0] / 2**20:.0f} → {rss[-1] / 2**20:.0f} ({max(rss) / 2**20:.0f})"
            head = (
                f"| {name} | {group.cpu_seconds:.0f} | {group.cpu_seconds / capacity:.0%}" if number == 0 else "| | |"
            )
            lines.append(f"{head} | {pid} | {figures} |")
    return lines


def _generator_warning(rows: list[dict[str, str]], served: list[_Request], usage: dict[str, _Usage]) -> str | None:
    """Whether the load generator, not the cluster, set the pace of the run."""
    total = sum(group.cpu_seconds for group in usage.values())
    generator = usage.get("load generator")
    if generator is not None and total and generator.cpu_seconds / total >= _GENERATOR_CPU_SHARE:
        return (
            f"the load generator took {generator.cpu_seconds / total:.0%} of the CPU used: it competed with the "
            "cluster for the cores, and Locust's own latencies describe its queue; read nginx's."
        )
    for row in rows:
        mine = sorted(one.ms for one in _of_step(row, served))
        if not mine or row["50%"] in {"", "N/A"}:
            continue
        if float(row["50%"]) > _GENERATOR_SLOWDOWN * mine[len(mine) // 2] + 100:
            return (
                f"Locust's median for {row['Type']} {row['Name']} ({row['50%']} ms) is far above nginx's "
                f"({mine[len(mine) // 2]:.0f} ms): the requests waited inside the load generator; read nginx's."
            )
    return None


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _steady(path: Path, users: int) -> dict[str, str]:
    """The mean request rate once every user was spawned (a distributed run's history holds no windowed latencies)."""
    rows = [row for row in _rows(path) if row["Name"] == "Aggregated" and row["User Count"] == str(users)]
    if not rows:
        return {}
    rate = sum(float(row["Requests/s"]) for row in rows) / len(rows)
    return {"rate": f"{rate:.0f}"}


def _aggregated(path: Path) -> dict[str, str]:
    return next((row for row in _rows(path) if row["Name"] == "Aggregated"), {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["prepare", "count"])
    parser.add_argument("--fixture", type=Path, default=Path(".cluster/loadtest-fixture.json"))
    parser.add_argument("--confirmed-dir", type=Path, default=RESULTS / "loadtest-confirmed")
    parser.add_argument("--prefix", default=str(RESULTS / "loadtest"))
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--duration", default="")
    parser.add_argument("--load", default="", help="the load average at the end of the run")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.fixture)
        return
    sys.exit(
        count(args.fixture, args.confirmed_dir, args.prefix, args.users, args.duration, args.load or _load_average())
    )


if __name__ == "__main__":
    main()
