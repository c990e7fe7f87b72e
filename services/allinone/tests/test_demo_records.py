"""`lianfang demo-records`: as many records as asked for, shaped like a real deployment's, readable by trace."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, func, select

from lianfang.allinone.cli import main
from lianfang.allinone.demo_records import generate_records
from lianfang.allinone.demo_records.tree import CITIES
from lianfang.common.beijing import BEIJING
from lianfang.common.contracts.records import ROLLUP_COUNTS
from lianfang.common.contracts.rollups import DAYS as DAILY
from lianfang.common.contracts.rollups import HOURS as HOURLY
from lianfang.common.db import create_database
from lianfang.ingest.rows import RECORDS

from .conftest import System

RECORDS_ASKED = 4000
DAYS = 3


async def _counts(url: str, table: Any, time: str) -> Counter[tuple[Any, ...]]:
    """The rollup's counts by (time, checkpoint, kind, status), the statuses' counts as `records` does not."""
    database = create_database(url)
    counted: Counter[tuple[Any, ...]] = Counter()
    try:
        async with database.engine.connect() as connection:
            for row in await connection.execute(select(table)):
                for name in ROLLUP_COUNTS:
                    if count := getattr(row, name):
                        counted[getattr(row, time), row.checkpoint_id, row.checkpoint_kind, name] += count
    finally:
        await database.dispose()
    return counted


def _expected(rows: list[Row[Any]], time: Any) -> Counter[tuple[Any, ...]]:
    expected: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        for name in ("records", row.status):
            expected[time(row.checked_at), row.checkpoint_id, row.checkpoint_kind, name] += 1
    return expected


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _day(at: datetime) -> Any:
    return at.astimezone(BEIJING).date()


async def _rows(url: str) -> list[Row[Any]]:
    database = create_database(url)
    try:
        async with database.engine.connect() as connection:
            return list((await connection.execute(select(RECORDS))).all())
    finally:
        await database.dispose()


@pytest.fixture
async def generated(system: System) -> list[Row[Any]]:
    settings = system.app.settings
    result = await generate_records(
        records=RECORDS_ASKED,
        days=DAYS,
        seed=7,
        cities=1,
        batch=700,
        records_url=settings.ingest.records_database_url,
        registry=settings.registry,
    )
    assert (result.records, result.checkpoints) == (RECORDS_ASKED, 856)
    return await _rows(settings.ingest.records_database_url)


# The shape tests only read what one generation made: the first of them on each backend generates it for the others.
_SHAPES: dict[str, list[Row[Any]]] = {}


@pytest.fixture
def shape(backend_name: str, request: pytest.FixtureRequest) -> list[Row[Any]]:
    if backend_name not in _SHAPES:
        _SHAPES[backend_name] = request.getfixturevalue("generated")
    return _SHAPES[backend_name]


class TestShape:
    async def test_the_count_asked_for_over_the_days_before_today(self, shape: list[Row[Any]]) -> None:
        today = datetime.now(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
        assert len(shape) == RECORDS_ASKED
        days = {row.checked_at.astimezone(BEIJING).date() for row in shape if row.direction == "in"}
        assert days == {(today - timedelta(days=offset)).date() for offset in range(1, DAYS + 1)}

    async def test_the_morning_rush_is_busier_than_the_night(self, shape: list[Row[Any]]) -> None:
        hours = Counter(row.checked_at.astimezone(BEIJING).hour for row in shape if row.direction == "in")
        assert hours[8] > 10 * hours[3]
        assert hours[18] > 5 * hours[3]

    async def test_some_fevers_pending_and_rejected_records_and_check_outs(self, shape: list[Row[Any]]) -> None:
        statuses = Counter(row.status for row in shape)
        assert 0.005 < statuses["abnormal"] / RECORDS_ASKED < 0.05
        assert statuses["pending"] > 0
        assert statuses["rejected"] > 0
        fevers = [row for row in shape if row.status == "abnormal"]
        assert all(row.temperature >= 37.3 for row in fevers)
        assert sum(row.direction == "out" for row in shape) > 0

    async def test_people_come_back_and_bring_companions(self, shape: list[Row[Any]]) -> None:
        visits = Counter(row.phone_hash for row in shape if row.phone_hash and row.direction == "in")
        assert max(visits.values()) >= 5
        assert len(visits) < RECORDS_ASKED / 2
        companions = [row for row in shape if row.companion_of is not None]
        assert companions
        ids = {row.id for row in shape}
        assert all(row.companion_of in ids and row.resident_id is not None for row in companions)

    async def test_personal_data_is_stored_as_the_worker_stores_it(self, shape: list[Row[Any]]) -> None:
        row = next(row for row in shape if row.phone_masked and row.id_card_masked)
        assert row.name_encrypted.startswith("dev.")
        assert len(row.phone_hash) == len(row.name_hash) == 64
        assert (row.phone_masked[3:7], row.id_card_masked[3:14]) == ("****", "*" * 11)


class TestRollups:
    async def test_every_record_is_counted_by_hour_and_shanghai_day(
        self, system: System, generated: list[Row[Any]]
    ) -> None:
        url = system.app.settings.ingest.records_database_url
        assert await _counts(url, HOURLY, "hour") == _expected(generated, _hour)
        assert await _counts(url, DAILY, "day") == _expected(generated, _day)

    async def test_a_second_run_adds_to_the_counts(self, system: System, generated: list[Row[Any]]) -> None:
        settings = system.app.settings
        await generate_records(
            records=300,
            days=2,
            seed=9,
            cities=1,
            batch=100,
            records_url=settings.ingest.records_database_url,
            registry=settings.registry,
        )
        everything = await _rows(settings.ingest.records_database_url)
        assert len(everything) == RECORDS_ASKED + 300
        assert await _counts(settings.ingest.records_database_url, DAILY, "day") == _expected(everything, _day)


class TestReadByTrace:
    async def test_a_city_admin_pages_the_generated_records_with_checkpoint_names(
        self, system: System, generated: list[Row[Any]]
    ) -> None:
        headers = await system.login()
        tree = (await system.client.get("/api/registry/regions/tree", params={"depth": 1}, headers=headers)).json()
        (city,) = [child for child in tree["children"] if child["name"] == CITIES[0][0]]
        newest = max(row.checked_at for row in generated)
        params: dict[str, Any] = {
            "region_id": city["id"],
            "from": (newest - timedelta(days=DAYS + 1)).isoformat(),
            "to": (newest + timedelta(seconds=1)).isoformat(),
            "limit": 50,
        }
        response = await system.client.get("/api/trace/records", params=params, headers=headers)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert len(items) == 50
        assert datetime.fromisoformat(items[0]["checked_at"]).astimezone(UTC) == newest
        assert all(item["checkpoint_name"] and item["region_name"] for item in items)

    async def test_a_second_run_reuses_the_checkpoints_and_adds_the_records(
        self, system: System, generated: list[Row[Any]]
    ) -> None:
        settings = system.app.settings
        again = await generate_records(
            records=500,
            days=1,
            seed=8,
            cities=1,
            records_url=settings.ingest.records_database_url,
            registry=settings.registry,
        )
        assert again.checkpoints == 856
        database = create_database(settings.ingest.records_database_url)
        try:
            async with database.engine.connect() as connection:
                assert await connection.scalar(select(func.count()).select_from(RECORDS)) == RECORDS_ASKED + 500
        finally:
            await database.dispose()


def test_the_command_fills_the_stores_of_the_data_directory_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lianfang demo-records --data-dir D` writes where `lianfang run --data-dir D` reads, whatever the directory."""
    for variable in ("LIANFANG_RECORDS_DATABASE_URL", "LIANFANG_REGISTRY_DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / "elsewhere"

    main(["demo-records", "--records", "40", "--days", "1", "--cities", "1", "--data-dir", str(data_dir)])

    assert "40 records at" in capsys.readouterr().out
    with sqlite3.connect(data_dir / "records.db") as records, sqlite3.connect(data_dir / "registry.db") as registry:
        assert records.execute("SELECT count(*) FROM records").fetchone() == (40,)
        assert registry.execute("SELECT count(*) FROM checkpoints").fetchone()[0] > 0
    assert not (tmp_path / ".lianfang").exists()
