"""Retention: what is older than the retention period leaves the store — whole months at once on MariaDB — and nothing
younger does; the hourly and daily counts keep counting exactly the records left."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from lianfang.common.contracts.events import RecordStatus
from lianfang.common.contracts.rollups import day_of
from lianfang.common.db import Database, create_database
from lianfang.common.testing.plugin import Backend
from lianfang.ingest.main import MIGRATIONS
from lianfang.ingest.partitions import month_partitions, partition_back
from lianfang.ingest.repository import RecordsRepository
from lianfang.ingest.retention import cutoff, purge
from lianfang.ingest.rows import KEYS, PENDING, RECORDS, record_row
from lianfang.ingest.settings import IngestSettings

from .conftest import CITY, Pipeline, created, eventually
from .test_rollups import days, hours

# The 11th of the month before this one, at noon: the cut-off falls inside a month, after whole months before it.
NOW = datetime.now(UTC).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
CUTOFF = (NOW - timedelta(days=1)).replace(day=11)
TWO_MONTHS_BACK = (CUTOFF.replace(day=1) - timedelta(days=1)).replace(day=15)
THREE_MONTHS_BACK = (TWO_MONTHS_BACK.replace(day=1) - timedelta(days=1)).replace(day=15)
TINY = timedelta(microseconds=1)


def _month(at: datetime) -> str:
    return f"p{at:%Y%m}"


@pytest.fixture
async def fresh_database(backend: Backend) -> AsyncIterator[Database]:
    """A records store of its own, with a partition for each of the last four months on MariaDB."""
    database = create_database(await backend.create_database(f"retain{uuid.uuid4().hex[:8]}", MIGRATIONS))
    await partition_back(database.engine, THREE_MONTHS_BACK.date())
    yield database
    await database.dispose()


async def _add(database: Database, *times: datetime, province_id: int = 1) -> None:
    rows = []
    for at in times:
        event = created(checked_at=at)
        rows.append(record_row(event) | {"province_id": province_id, "stored_at": at})
    async with database.engine.begin() as connection:
        await connection.execute(insert(RECORDS), rows)


async def _times(database: Database) -> list[datetime]:
    async with database.engine.connect() as connection:
        return list((await connection.scalars(select(RECORDS.c.checked_at).order_by(RECORDS.c.checked_at))).all())


async def _count(database: Database, table: Any) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


class TestPurge:
    async def test_records_before_the_cutoff_go_and_the_cutoff_itself_stays(self, fresh_database: Database) -> None:
        kept = [CUTOFF, CUTOFF + TINY, CUTOFF + timedelta(days=3)]
        await _add(fresh_database, CUTOFF - TINY, CUTOFF - timedelta(hours=5), CUTOFF - timedelta(days=1), *kept)
        await _add(fresh_database, CUTOFF - timedelta(minutes=1), CUTOFF + timedelta(minutes=1), province_id=2)

        purged = await purge(fresh_database.engine, before=CUTOFF, batch_size=2)

        assert await _times(fresh_database) == sorted([*kept, CUTOFF + timedelta(minutes=1)])
        assert purged.records == 4
        assert purged.before == CUTOFF

    async def test_whole_months_before_the_cutoff_are_dropped_as_partitions_on_mariadb(
        self, fresh_database: Database, backend: Backend
    ) -> None:
        await _add(fresh_database, THREE_MONTHS_BACK, TWO_MONTHS_BACK, TWO_MONTHS_BACK + TINY, CUTOFF - TINY, CUTOFF)
        before = await month_partitions(fresh_database.engine)

        purged = await purge(fresh_database.engine, before=CUTOFF, batch_size=100)

        assert await _times(fresh_database) == [CUTOFF]
        if not backend.real:
            assert (before, purged.partitions, purged.records) == ([], [], 4)
            return
        dropped = [_month(THREE_MONTHS_BACK), _month(TWO_MONTHS_BACK)]
        assert before[:3] == [*dropped, _month(CUTOFF)]
        assert purged.partitions == dropped
        assert await month_partitions(fresh_database.engine) == before[2:]
        # Only the record of the month the cut-off falls in went row by row.
        assert purged.records == 1

    async def test_check_in_keys_and_stray_decisions_past_the_retention_go_too(self, fresh_database: Database) -> None:
        def key(at: datetime) -> dict[str, Any]:
            return {"city_code": CITY, "client_key": uuid.uuid4(), "record_id": uuid.uuid4(), "checked_at": at}

        def decision(received: datetime) -> dict[str, Any]:
            return {
                "city_code": CITY,
                "record_id": uuid.uuid4(),
                "status": "passed",
                "decided_by": uuid.uuid4(),
                "decided_at": received,
                "reason": None,
                "received_at": received,
            }

        async with fresh_database.engine.begin() as connection:
            await connection.execute(insert(KEYS), [key(CUTOFF - TINY), key(CUTOFF), key(CUTOFF - timedelta(days=9))])
            await connection.execute(insert(PENDING), [decision(CUTOFF - TINY), decision(CUTOFF)])

        purged = await purge(fresh_database.engine, before=CUTOFF, batch_size=1)

        assert (purged.keys, purged.decisions) == (2, 1)
        assert (await _count(fresh_database, KEYS), await _count(fresh_database, PENDING)) == (1, 1)

    async def test_a_purge_with_nothing_to_purge_changes_nothing(self, fresh_database: Database) -> None:
        await _add(fresh_database, CUTOFF, CUTOFF + timedelta(days=1))
        purged = await purge(fresh_database.engine, before=CUTOFF, batch_size=10)
        assert (purged.records, purged.keys, purged.decisions) == (0, 0, 0)
        assert len(await _times(fresh_database)) == 2

    def test_the_cutoff_is_the_retention_period_before_now(self) -> None:
        assert cutoff(30, NOW) == NOW - timedelta(days=30)


async def _store(database: Database, *times: datetime, status: RecordStatus = RecordStatus.passed) -> None:
    """Records stored as the worker stores them, counted in the rollups."""
    rows = [record_row(created(checked_at=at, status=status)) for at in times]
    async with database.engine.begin() as connection:
        await RecordsRepository(connection).store(rows, [], now=datetime.now(UTC))


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


class TestRollups:
    async def test_the_counts_at_a_cutoff_inside_an_hour_count_the_records_left(self, fresh_database: Database) -> None:
        # The cut-off is at 12:17 UTC (20:17 in Shanghai): its hour and its Shanghai day lose some of their records.
        before = CUTOFF + timedelta(minutes=17)
        await _store(fresh_database, before - timedelta(days=2), before - timedelta(hours=5), before - TINY)
        await _store(fresh_database, before, status=RecordStatus.pending)
        await _store(fresh_database, before + timedelta(minutes=30), status=RecordStatus.abnormal)
        await _store(fresh_database, before + timedelta(hours=1), before + timedelta(days=1))

        purged = await purge(fresh_database.engine, before=before, batch_size=1)

        assert purged.records == 3
        assert (purged.hours, purged.days) == (2, 1)
        assert await hours(fresh_database) == {
            (_hour(before), 4201, "community"): (2, 0, 1, 0, 1),
            (_hour(before) + timedelta(hours=1), 4201, "community"): (1, 1, 0, 0, 0),
            (_hour(before) + timedelta(days=1), 4201, "community"): (1, 1, 0, 0, 0),
        }
        assert await days(fresh_database) == {
            (day_of(before), 4201, "community"): (3, 1, 1, 0, 1),
            (day_of(before) + timedelta(days=1), 4201, "community"): (1, 1, 0, 0, 0),
        }

    async def test_a_cutoff_on_the_hour_keeps_that_hour_whole_and_recounts_its_day(
        self, fresh_database: Database
    ) -> None:
        await _store(fresh_database, CUTOFF - timedelta(hours=3), CUTOFF - TINY, CUTOFF, CUTOFF + timedelta(minutes=59))

        purged = await purge(fresh_database.engine, before=CUTOFF, batch_size=100)

        assert (purged.records, purged.hours, purged.days) == (2, 2, 0)
        assert await hours(fresh_database) == {(CUTOFF, 4201, "community"): (2, 2, 0, 0, 0)}
        assert await days(fresh_database) == {(day_of(CUTOFF), 4201, "community"): (2, 2, 0, 0, 0)}

    async def test_the_counts_of_dropped_months_go_with_them(self, fresh_database: Database) -> None:
        await _store(fresh_database, THREE_MONTHS_BACK, TWO_MONTHS_BACK, CUTOFF)

        await purge(fresh_database.engine, before=CUTOFF, batch_size=100)

        assert list(await hours(fresh_database)) == [(CUTOFF, 4201, "community")]
        assert list(await days(fresh_database)) == [(day_of(CUTOFF), 4201, "community")]


class TestWorker:
    async def test_the_worker_purges_at_start_with_the_configured_retention(self, pipeline: Pipeline) -> None:
        now = datetime.now(UTC)
        await _add(pipeline.database, now - timedelta(days=8), now - timedelta(days=6))
        async with pipeline.running(pipeline.worker(retention_days=7)):

            async def purged() -> bool:
                return len(await _times(pipeline.database)) == 1

            await eventually(purged)
        (left,) = await _times(pipeline.database)
        assert left == now - timedelta(days=6)


def test_the_retention_defaults_to_thirty_days() -> None:
    assert IngestSettings().retention_days == 30
