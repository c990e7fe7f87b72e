"""Bulk import of checkpoints: 5,000 rows from XLSX and CSV, on SQLite and — when `LIANFANG_TEST_MYSQL_URL` is set —
MariaDB (with the Redis of `LIANFANG_TEST_REDIS_URL` when that is set too).

`uv run python bench/registry_import.py` from the workspace root. The registry runs in-process behind httpx's
ASGITransport, so the figures are the service's own: upload, parsing, checks, inserts, commit and the Redis writes, without
a network. Each backend gets a fresh database with a city of 10 counties and 100 streets; every run imports into it."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from harness import scratch_database, write_results
from openpyxl import Workbook  # type: ignore[import-untyped]

from lianfang.common.auth import AdminPrincipal
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.regions import ROOT_REGION_ID, ROOT_REGION_PATH
from lianfang.common.db.migrate import upgrade
from lianfang.common.testing import bearer, serve
from lianfang.registry.main import MIGRATIONS, create_app
from lianfang.registry.settings import RegistrySettings

__all__ = ["main"]

ROWS = 5_000
BUDGET_SECONDS = 10.0
COUNTIES = 10
STREETS_PER_COUNTY = 10
HEADER = ["地区", "卡口名称", "类型", "地址", "表单模板", "体温有效期（分钟）", "需要审核"]
KINDS = ("小区", "医院", "市场", "办公楼", "班车", "学校", "车站", "村", "其他")
ADMIN = bearer(AdminPrincipal(uuid.uuid4(), ROOT_REGION_ID, ROOT_REGION_PATH))
IMPORT = "/api/registry/checkpoints/import"


def _rows(prefix: str, street: str) -> list[list[object]]:
    """`ROWS` checkpoints spread over the city's streets, every column filled the ways people fill it."""
    rows: list[list[object]] = []
    for number in range(ROWS):
        county, place = divmod(number % (COUNTIES * STREETS_PER_COUNTY), STREETS_PER_COUNTY)
        rows.append(
            [
                f"石家庄市/第{county + 1}区/{street}{place + 1}",
                f"{prefix}{number + 1:05d}号卡口",
                KINDS[number % len(KINDS)],
                f"幸福路 {number + 1} 号",
                "小区门岗" if number % 3 == 0 else "",
                (0, 30, 240)[number % 3],
                "是" if number % 4 == 0 else "否",
            ]
        )
    return rows


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("卡口")
    for row in [HEADER, *rows]:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


async def _tree(client: httpx.AsyncClient) -> None:
    async def region(parent_id: int, name: str, code: str) -> int:
        response = await client.post(
            "/api/registry/regions", json={"parent_id": parent_id, "name": name, "code": code}, headers=ADMIN
        )
        response.raise_for_status()
        region_id: int = response.json()["id"]
        return region_id

    city = await region(ROOT_REGION_ID, "石家庄市", "130100")
    for county_number in range(1, COUNTIES + 1):
        county = await region(city, f"第{county_number}区", f"1301{county_number + 10:02d}")
        for street_number in range(1, STREETS_PER_COUNTY + 1):
            await region(county, f"街道{street_number}", f"1301{county_number + 10:02d}{street_number:03d}")


async def _timed_import(client: httpx.AsyncClient, content: bytes, **params: str) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    response = await client.post(IMPORT, params=params, files={"file": ("bench", content)}, headers=ADMIN, timeout=120)
    seconds = time.perf_counter() - started
    if response.status_code not in (200, 201):
        raise SystemExit(f"import failed: {response.status_code} {response.text[:500]}")
    body: dict[str, object] = response.json()
    if body["errors"]:
        raise SystemExit(f"unexpected errors: {body['errors']}")
    return seconds, body


@asynccontextmanager
async def _database(backend_name: str, workdir: Path) -> AsyncIterator[str]:
    mysql = os.environ.get("LIANFANG_TEST_MYSQL_URL")
    if backend_name == "sqlite" or mysql is None:
        yield f"sqlite+aiosqlite:///{workdir / 'registry.db'}"
        return
    async with scratch_database(mysql, "lianfang_bench_registry") as url:
        yield url


async def _measure(backend_name: str) -> list[str]:
    redis_url = os.environ.get("LIANFANG_TEST_REDIS_URL") if backend_name == "mariadb" else None
    redis_url = redis_url or f"memory://bench-{uuid.uuid4().hex}"
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as workdir:
        async with _database(backend_name, Path(workdir)) as database_url:
            await upgrade(MIGRATIONS, database_url)
            settings = RegistrySettings(registry_database_url=database_url, redis_url=redis_url, broker_url="memory://")
            cache = connect_cache(redis_url)
            written: list[str] = []
            try:
                async with serve(create_app(settings)) as client:
                    await _tree(client)
                    runs = (
                        ("XLSX", _xlsx(_rows("表格", "街道")), "false"),
                        ("CSV", _csv(_rows("文本", "街道")), "false"),
                        ("CSV, 100 new streets", _csv(_rows("新建", "新街道")), "true"),
                    )
                    for label, content, create_regions in runs:
                        checked, _ = await _timed_import(client, content, dry_run="true", create_regions=create_regions)
                        seconds, body = await _timed_import(client, content, create_regions=create_regions)
                        if body["created"] != ROWS:
                            raise SystemExit(f"created {body['created']} of {ROWS}")
                        keys = [key async for key in cache.scan_iter("lianfang:checkpoint:*", count=1_000)]
                        written = [key.decode() if isinstance(key, bytes) else str(key) for key in keys]
                        lines.append(
                            f"| {backend_name} | {label} | {len(content) / 1024:,.0f} KB | {ROWS:,} "
                            f"| {checked:.2f} | {seconds:.2f} | {ROWS / seconds:,.0f} | {body['regions_created']} "
                            f"| {len(written):,} |"
                        )
                        print(lines[-1], flush=True)
            finally:
                if written and not redis_url.startswith("memory:"):
                    await cache.delete(*written)
                await cache.aclose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    backends = ["sqlite"] + (["mariadb"] if os.environ.get("LIANFANG_TEST_MYSQL_URL") else [])
    lines = [
        "| database | file | size | rows | dry run s | import s | rows/s | regions made | configs in Redis |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    print("\n".join(lines), flush=True)
    for backend_name in backends:
        lines.extend(asyncio.run(_measure(backend_name)))
    slow = [line for line in lines[2:] if float(line.split("|")[6]) >= BUDGET_SECONDS]
    goal = (
        f"Goal: {ROWS:,} rows in under {BUDGET_SECONDS:.0f} s (`POST /api/registry/checkpoints/import`, in-process, "
        "timed from upload to answer; a real import includes the commit and the Redis pipeline of every config). "
        "Configs in Redis: the running total after each import. SQLite runs use the in-process Redis (fakeredis), "
        "MariaDB runs the Redis of `LIANFANG_TEST_REDIS_URL` when it is set."
    )
    print(write_results("registry_import", "Bulk import of checkpoints", goal + "\n\n" + "\n".join(lines)))
    if not backends[1:]:
        print("MariaDB skipped: set LIANFANG_TEST_MYSQL_URL (and LIANFANG_TEST_REDIS_URL) to measure it too")
    if slow:
        sys.exit(f"{len(slow)} import(s) took {BUDGET_SECONDS:.0f} s or more")


if __name__ == "__main__":
    main()
