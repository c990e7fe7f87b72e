"""The hourly and daily counts statistics read: each check-in counted once when it is stored, each decision moving its
record from one status to another once, whatever the order and however often the events arrive."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from lianfang.common.contracts.events import Ancestry, CheckinCreated, RecordStatus
from lianfang.common.contracts.rollups import DAYS, HOURS
from lianfang.common.db import Database
from lianfang.ingest.repository import RecordsRepository
from lianfang.ingest.rows import PENDING, record_row
from lianfang.ingest.writer import write_batch

from .conftest import Pipeline, created, decided, handled

# 23:00 in Shanghai on 25 November; an hour later is midnight, the 26th there.
EVENING = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
MIDNIGHT = EVENING + timedelta(hours=1)
BUS = {
    "checkpoint_id": 4302,
    "checkpoint_kind": "vehicle",
    "region_id": 43,
    "ancestry": Ancestry(province_id=1, city_id=7, county_id=43),
}
# (records, passed, pending, rejected, abnormal)
Counts = tuple[int, int, int, int, int]


async def hours(database: Database) -> dict[tuple[datetime, int, str], Counts]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(HOURS))
        return {
            (row.hour, row.checkpoint_id, row.checkpoint_kind): (
                row.records,
                row.passed,
                row.pending,
                row.rejected,
                row.abnormal,
            )
            for row in rows
        }


async def days(database: Database) -> dict[tuple[date, int, str], Counts]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(DAYS))
        return {
            (row.day, row.checkpoint_id, row.checkpoint_kind): (
                row.records,
                row.passed,
                row.pending,
                row.rejected,
                row.abnormal,
            )
            for row in rows
        }


async def store(database: Database, *events: CheckinCreated) -> None:
    async with database.engine.begin() as connection:
        await RecordsRepository(connection).store([record_row(event) for event in events], [], now=datetime.now(UTC))


def at(moment: datetime, **changes: Any) -> CheckinCreated:
    return created(checked_at=moment, **changes)


class TestCheckins:
    async def test_a_batch_is_counted_by_utc_hour_and_shanghai_day(self, pipeline: Pipeline) -> None:
        events = [
            at(EVENING + timedelta(minutes=10)),
            at(EVENING + timedelta(minutes=20)),
            at(EVENING + timedelta(minutes=30), status=RecordStatus.pending),
            at(MIDNIGHT - timedelta(microseconds=1)),
            at(MIDNIGHT, status=RecordStatus.abnormal, temperature=38.2),
            at(MIDNIGHT + timedelta(minutes=30), **BUS),
            at(MIDNIGHT + timedelta(minutes=40), **BUS),
        ]
        async with pipeline.running():
            await pipeline.publish(*events)
            await pipeline.stored(7)

        assert await hours(pipeline.database) == {
            (EVENING, 4201, "community"): (4, 3, 1, 0, 0),
            (MIDNIGHT, 4201, "community"): (1, 0, 0, 0, 1),
            (MIDNIGHT, 4302, "vehicle"): (2, 2, 0, 0, 0),
        }
        assert await days(pipeline.database) == {
            (date(2026, 11, 25), 4201, "community"): (4, 3, 1, 0, 0),
            (date(2026, 11, 26), 4201, "community"): (1, 0, 0, 0, 1),
            (date(2026, 11, 26), 4302, "vehicle"): (2, 2, 0, 0, 0),
        }

    async def test_a_row_carries_its_checkpoints_ancestry(self, pipeline: Pipeline) -> None:
        async with pipeline.running():
            await pipeline.publish(at(EVENING, **BUS), at(EVENING))
            await pipeline.stored(2)
        async with pipeline.database.engine.connect() as connection:
            rows = (await connection.execute(select(DAYS).order_by(DAYS.c.checkpoint_id))).all()
        assert [
            (row.city_code, row.province_id, row.city_id, row.county_id, row.township_id, row.unit_id, row.region_id)
            for row in rows
        ] == [("1301", 1, 7, 42, 88, 91, 91), ("1301", 1, 7, 43, None, None, 43)]

    async def test_a_redelivered_batch_is_not_counted_twice(self, pipeline: Pipeline) -> None:
        events = [at(EVENING + timedelta(minutes=n)) for n in range(20)]
        async with pipeline.running():
            await pipeline.publish(*events)
            await pipeline.stored(20)
        later = [at(EVENING + timedelta(minutes=30)), at(MIDNIGHT)]
        retried = at(EVENING + timedelta(minutes=45), client_key=events[0].client_key)
        async with pipeline.running() as worker:
            await pipeline.publish(*events, *later, retried, *events[:5])
            await handled(worker, 28)
        assert worker.stats.totals.duplicates == 26
        assert await hours(pipeline.database) == {
            (EVENING, 4201, "community"): (21, 21, 0, 0, 0),
            (MIDNIGHT, 4201, "community"): (1, 1, 0, 0, 0),
        }
        assert sum(counts[0] for counts in (await days(pipeline.database)).values()) == 22


class TestDecisions:
    async def test_a_decision_moves_the_record_out_of_pending_once(self, pipeline: Pipeline) -> None:
        record = at(EVENING, status=RecordStatus.pending)
        first = datetime.now(UTC)
        reject = decided(record, RecordStatus.rejected, decided_at=first)
        key = (EVENING, 4201, "community")
        async with pipeline.running() as worker:
            await pipeline.publish(record, at(EVENING, status=RecordStatus.pending))
            await pipeline.stored(2)
            assert (await hours(pipeline.database))[key] == (2, 0, 2, 0, 0)
            await pipeline.publish(reject)
            await handled(worker, 3)
            assert (await hours(pipeline.database))[key] == (2, 0, 1, 1, 0)
            await pipeline.publish(reject, decided(record, RecordStatus.passed, decided_at=first - timedelta(1)))
            await handled(worker, 5)
            assert (await hours(pipeline.database))[key] == (2, 0, 1, 1, 0)
            # Staff changed their mind: the record moves once more, from rejected to passed.
            await pipeline.publish(decided(record, RecordStatus.passed, decided_at=first + timedelta(minutes=1)))
            await handled(worker, 6)
        assert (await hours(pipeline.database))[key] == (2, 1, 1, 0, 0)
        assert (await days(pipeline.database))[date(2026, 11, 25), 4201, "community"] == (2, 1, 1, 0, 0)

    async def test_a_decision_before_its_record_is_counted_when_the_record_arrives(self, pipeline: Pipeline) -> None:
        record = at(MIDNIGHT, status=RecordStatus.pending)
        beside = at(MIDNIGHT, status=RecordStatus.pending)
        async with pipeline.running() as worker:
            await pipeline.publish(decided(record, RecordStatus.rejected))
            await handled(worker, 1)
            assert await hours(pipeline.database) == {}
            await pipeline.publish(record, beside, decided(beside, RecordStatus.passed))
            await handled(worker, 4)
        assert await hours(pipeline.database) == {(MIDNIGHT, 4201, "community"): (2, 1, 0, 1, 0)}
        assert await days(pipeline.database) == {(date(2026, 11, 26), 4201, "community"): (2, 1, 0, 1, 0)}

    async def test_a_decision_kept_waiting_moves_the_count_when_applied_later(self, database: Database) -> None:
        """The record and its decision reached two workers at once: each committed before seeing the other's row, and
        the sweep of waiting decisions applies it."""
        record = at(EVENING, status=RecordStatus.pending)
        await store(database, record)
        decision = decided(record, RecordStatus.passed)
        async with database.engine.begin() as connection:
            await connection.execute(
                insert(PENDING),
                {
                    "city_code": record.city_code,
                    "record_id": record.id,
                    "status": "passed",
                    "decided_by": decision.decided_by,
                    "decided_at": decision.decided_at,
                    "reason": None,
                    "received_at": decision.decided_at,
                },
            )
        for applied in (1, 0):
            async with database.engine.begin() as connection:
                sweep = RecordsRepository(connection).apply_pending(received_before=datetime.now(UTC) + timedelta(1))
                assert await sweep == applied
        assert await hours(database) == {(EVENING, 4201, "community"): (1, 1, 0, 0, 0)}

    async def test_two_writers_deciding_one_record_at_once_move_its_count_once(self, database: Database) -> None:
        """The second writer waits for the first: on MariaDB at its locking read of the record; on SQLite at its
        update, which then finds the record changed since it read it, and the writer tries the batch again."""
        record = at(EVENING, status=RecordStatus.pending)
        await store(database, record)
        now = datetime.now(UTC)
        approve = decided(record, RecordStatus.passed, decided_at=now)
        reject = decided(record, RecordStatus.rejected, decided_at=now + timedelta(seconds=1))
        async with database.engine.begin() as connection:
            await RecordsRepository(connection).store([], [approve], now=datetime.now(UTC))
            beside = asyncio.create_task(write_batch(database.engine, [reject.model_dump_json().encode()]))
            await asyncio.sleep(0.3)
            assert not beside.done()
        written = await beside
        assert (written.outcome.decisions_applied, written.refused) == (1, [])
        assert await hours(database) == {(EVENING, 4201, "community"): (1, 0, 0, 1, 0)}
        assert await days(database) == {(date(2026, 11, 25), 4201, "community"): (1, 0, 0, 1, 0)}
