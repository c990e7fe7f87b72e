"""The records store's schema: its migrations on SQLite and MariaDB, and the monthly partitions on MariaDB."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection

from lianfang.common.contracts.events import Ancestry, CheckinCreated, RecordStatus
from lianfang.common.contracts.records import RecordsBase
from lianfang.common.contracts.rollups import DAYS
from lianfang.common.db import Database, create_database
from lianfang.common.db.migrate import alembic_config
from lianfang.common.testing.plugin import Backend
from lianfang.ingest.main import MIGRATIONS
from lianfang.ingest.partitions import ensure_partitions, month_partitions
from lianfang.ingest.rows import RECORDS, record_row

from .conftest import Pipeline, created, handled
from .test_rollups import days, hours


def _months_from(first: date, count: int) -> list[str]:
    names = []
    year, month = first.year, first.month
    for _ in range(count):
        names.append(f"p{year:04d}{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return names


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, RecordsBase.metadata))


@pytest.fixture
async def fresh_database(backend: Backend) -> AsyncIterator[Database]:
    """A records store of its own, migrated today: these tests change its partitions."""
    database = create_database(await backend.create_database(f"fresh{uuid.uuid4().hex[:8]}", MIGRATIONS))
    yield database
    await database.dispose()


def row_before_0004(event: CheckinCreated) -> dict[str, Any]:
    """A record as the revisions before 0004 stored it: no distance, no scene, no re-measure, no reminder."""
    row = record_row(event)
    remeasure = ("remeasured_temperature", "remeasured_by", "remeasured_by_name", "remeasured_at")
    later = ("distance_accuracy_m", "remind_checkout")
    for column in ("distance_m", "outside_radius", "remote_scan", *remeasure, *later):
        del row[column]
    return row


class TestMigrations:
    async def test_the_history_goes_up_down_and_up_again(self, fresh_database: Database, backend: Backend) -> None:
        engine = fresh_database.engine
        async with engine.connect() as connection:
            assert {"records", "checkin_keys", "pending_decisions", "record_hours", "record_days"} <= (
                await connection.run_sync(_tables)
            )
        config = alembic_config(MIGRATIONS, engine.url.render_as_string(hide_password=False))
        await asyncio.to_thread(command.downgrade, config, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == {"alembic_version"}
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            assert {"records", "checkin_keys", "pending_decisions"} <= await connection.run_sync(_tables)

    async def test_the_migrations_build_what_the_models_describe(self, fresh_database: Database) -> None:
        async with fresh_database.engine.connect() as connection:
            assert await connection.run_sync(_differences) == []

    async def test_temperatures_stored_as_floats_come_out_to_one_decimal(self, fresh_database: Database) -> None:
        """Revision 0002 turns the float column into a decimal one, rounding what 0001 stored."""
        engine = fresh_database.engine
        config = alembic_config(MIGRATIONS, engine.url.render_as_string(hide_password=False))
        await asyncio.to_thread(command.downgrade, config, "0001")
        event = created(temperature=37.29999)
        row = row_before_0004(event) | {"temperature": 37.29999, "stored_at": event.checked_at}
        del row["name_hash"]
        async with engine.begin() as connection:
            # Revision 0001's table has no `name_hash`: the INSERT names every other column.
            await connection.execute(insert(RECORDS), row)
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            stored = (await connection.execute(select(RECORDS.c.temperature, RECORDS.c.name_hash))).one()
        assert tuple(stored) == (37.3, None)

    async def test_the_records_already_stored_are_counted_by_hour_and_day(self, fresh_database: Database) -> None:
        """Revision 0003 makes the rollups and fills them from the records."""
        engine = fresh_database.engine
        config = alembic_config(MIGRATIONS, engine.url.render_as_string(hide_password=False))
        await asyncio.to_thread(command.downgrade, config, "0002")
        evening = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
        bus = {
            "checkpoint_id": 4302,
            "checkpoint_kind": "vehicle",
            "region_id": 43,
            "ancestry": Ancestry(province_id=1, city_id=7, county_id=43),
        }
        events = [
            created(checked_at=evening),
            created(checked_at=evening + timedelta(minutes=59, seconds=59, microseconds=999_999)),
            created(checked_at=evening + timedelta(minutes=5), status=RecordStatus.pending),
            created(checked_at=evening + timedelta(minutes=6), status=RecordStatus.rejected),
            created(checked_at=evening + timedelta(hours=1), status=RecordStatus.abnormal),
            created(checked_at=evening + timedelta(hours=2, minutes=30), **bus),
            created(
                checked_at=evening + timedelta(hours=2, minutes=31),
                city_code="1302",
                checkpoint_id=8001,
                checkpoint_kind="market",
                region_id=80,
                ancestry=Ancestry(province_id=1, city_id=8, county_id=80),
            ),
        ]
        async with engine.begin() as connection:
            await connection.execute(
                insert(RECORDS), [row_before_0004(event) | {"stored_at": evening} for event in events]
            )
        await asyncio.to_thread(command.upgrade, config, "head")

        midnight = evening + timedelta(hours=1)
        assert await hours(fresh_database) == {
            (evening, 4201, "community"): (4, 2, 1, 1, 0),
            (midnight, 4201, "community"): (1, 0, 0, 0, 1),
            (midnight + timedelta(hours=1), 4302, "vehicle"): (1, 1, 0, 0, 0),
            (midnight + timedelta(hours=1), 8001, "market"): (1, 1, 0, 0, 0),
        }
        assert await days(fresh_database) == {
            (date(2026, 11, 25), 4201, "community"): (4, 2, 1, 1, 0),
            (date(2026, 11, 26), 4201, "community"): (1, 0, 0, 0, 1),
            (date(2026, 11, 26), 4302, "vehicle"): (1, 1, 0, 0, 0),
            (date(2026, 11, 26), 8001, "market"): (1, 1, 0, 0, 0),
        }
        async with engine.connect() as connection:
            places = await connection.execute(
                select(DAYS.c.city_code, DAYS.c.city_id, DAYS.c.county_id, DAYS.c.township_id, DAYS.c.region_id)
                .where(DAYS.c.day == date(2026, 11, 26), DAYS.c.checkpoint_id != 4201)
                .order_by(DAYS.c.city_code)
            )
            assert [tuple(row) for row in places] == [("1301", 7, 43, None, 43), ("1302", 8, 80, None, 80)]


class TestPartitions:
    async def test_the_migration_partitions_this_month_and_the_next_three(
        self, fresh_database: Database, backend: Backend
    ) -> None:
        expected = [*_months_from(datetime.now(UTC).date(), 4), "pmax"] if backend.real else []
        assert await month_partitions(fresh_database.engine) == expected
        assert await ensure_partitions(fresh_database.engine, months_ahead=3) == []
        assert await month_partitions(fresh_database.engine) == expected

    async def test_the_job_adds_the_months_to_come_once_and_moves_rows_that_arrived_early(
        self, pipeline: Pipeline, fresh_database: Database, backend: Backend
    ) -> None:
        """A check-in dated after the last monthly partition lands in `pmax`; the job splits its month off later."""
        months = _months_from(datetime.now(UTC).date(), 8)
        far = months[6]
        early = created(checked_at=datetime(int(far[1:5]), int(far[5:7]), 15, 9, 30, tzinfo=UTC))
        async with pipeline.running(pipeline.worker(database=fresh_database)) as worker:
            await pipeline.publish(early)
            await handled(worker, 1)

        engine = fresh_database.engine
        later = date(int(months[2][1:5]), int(months[2][5:7]), 20)
        added = await ensure_partitions(engine, months_ahead=4, today=later)
        again = await ensure_partitions(engine, months_ahead=4, today=later)
        if not backend.real:
            assert (added, again, await month_partitions(engine)) == ([], [], [])
            return
        assert added == months[4:7]
        assert again == []
        assert await month_partitions(engine) == [*months[:7], "pmax"]
        async with engine.connect() as connection:
            # The partition's name is made by the test, not taken from outside.
            in_its_month = await connection.scalar(text(f"SELECT COUNT(*) FROM records PARTITION ({far})"))  # noqa: S608
            in_pmax = await connection.scalar(text("SELECT COUNT(*) FROM records PARTITION (pmax)"))
        assert (in_its_month, in_pmax) == (1, 0)

    async def test_workers_running_the_job_at_once_add_each_month_once(
        self, fresh_database: Database, backend: Backend
    ) -> None:
        months = _months_from(datetime.now(UTC).date(), 12)
        later = date(int(months[5][1:5]), int(months[5][5:7]), 1)
        results = await asyncio.gather(
            *(ensure_partitions(fresh_database.engine, months_ahead=5, today=later) for _ in range(3))
        )
        added = [name for result in results for name in result]
        partitions = await month_partitions(fresh_database.engine)
        if not backend.real:
            assert (added, partitions) == ([], [])
            return
        # Whoever lost the race for the lock added nothing; a later run completes what is missing.
        assert sorted(added) == sorted(set(added))
        await ensure_partitions(fresh_database.engine, months_ahead=5, today=later)
        assert await month_partitions(fresh_database.engine) == [*months[:11], "pmax"]
