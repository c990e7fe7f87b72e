"""Before and after a load run (`make loadtest`): `prepare` makes the run's own city of gates and accounts through the
cluster's API; `count` holds the check-ins Locust saw confirmed against the records store and writes the figures to
bench/results/loadtest-<users>.md."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import sys
import time
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
# deploy/nginx.conf's `lianfang` log format: address [time] "request" status bytes request_time …
_ACCESS_LINE = re.compile(r'^\S+ \[(?P<time>[^\]]+)\] "[^"]*" \d{3} \d+ (?P<seconds>[\d.]+) ')
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
        create(
            "/api/auth/admins",
            {"username": admin, "password": PASSWORD, "name": "压测管理员", "region_id": county["id"], "role": "admin"},
        )
        staff = []
        for gate in gates[:AUDITED]:
            username = f"load_gate_{suffix}_{gate['id']}"
            create(
                "/api/auth/admins",
                {
                    "username": username,
                    "password": PASSWORD,
                    "name": "压测门岗",
                    "region_id": county["id"],
                    "role": "staff",
                    "checkpoint_ids": [gate["id"]],
                },
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
    served = _nginx_times(settings, Path(f"{prefix}_stats_history.csv"))
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
        f"| median / p95 / p99 latency (ms, whole run) | {totals.get('50%', '?')} / {totals.get('95%', '?')} / {totals.get('99%', '?')} |",
        f"| with all {users} users running: requests per second | {steady.get('rate', '?')} |",
        f"| the same requests as nginx timed them, median / p95 / p99 / max (ms) | {served} |",
        f"| check-ins confirmed to clients (distinct client_id) | {len(confirmed)} |",
        f"| records stored for the run's gates | {stored} (distinct client keys {keys}) |",
        f"| confirmed but not stored | {max(0, len(confirmed) - keys)} |",
        "",
        "Per request type:",
        "",
        "| request | count | failures | median ms | p99 ms |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{row['50%']} | {row['99%']} |"
            for row in _rows(Path(f"{prefix}_stats.csv"))
            if row["Name"] != "Aggregated"
        ),
    ]
    path = write_results(f"loadtest-{users}", f"Load test: {users} users", "\n".join(lines))
    print("\n".join(lines))
    print(f"loadtest: figures in {path}")
    return 0 if stored == keys == len(confirmed) and totals.get("Failure Count") == "0" else 1


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


def _nginx_times(settings: ClusterSettings, history: Path) -> str:
    """nginx's own `$request_time` over the run, from the cluster's access log: how long the cluster took, without the
    time a request spent waiting inside the load generator."""
    stamps = [int(row["Timestamp"]) for row in _rows(history)]
    log = settings.run_dir / "logs" / "nginx.1.log"
    if not stamps or not log.exists():
        return "?"
    start, end = datetime.fromtimestamp(min(stamps), UTC), datetime.fromtimestamp(max(stamps), UTC)
    times = []
    for line in log.read_text(errors="replace").splitlines():
        match = _ACCESS_LINE.match(line)
        if match and start <= datetime.fromisoformat(match["time"]) <= end:
            times.append(float(match["seconds"]) * 1000)
    if not times:
        return "?"
    times.sort()
    return " / ".join(f"{times[min(len(times) - 1, int(len(times) * share))]:.0f}" for share in (0.5, 0.95, 0.99, 1.0))


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
