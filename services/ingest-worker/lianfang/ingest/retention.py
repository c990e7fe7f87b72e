"""Retention (PIPL): records older than `LIANFANG_RETENTION_DAYS` leave the store, and the check-in keys and stray
decisions of that age with them.

On MySQL and MariaDB the months wholly past the cut-off go first, one `DROP PARTITION` each; then what is left before
the cut-off (the rest of the month it falls in, or everything on SQLite) is deleted in batches of
`LIANFANG_RETENTION_BATCH_SIZE`, each its own transaction, walking each province's `(province_id, checked_at)` index
from the oldest. A batch holds its locks for a moment, so check-ins keep landing while a large backlog goes.

The rollups go with the records and keep counting exactly the records that are left: the hours (and Shanghai days)
that end by the cut-off are deleted the same way, along each province's `(province_id, hour)` (`day`) index; the hour
the cut-off falls in is counted again from its remaining records, and its day again from its hours, in one
transaction per province. A period that starts before the cut-off so counts what `records` still holds, from the
rollups as from the records.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from lianfang.common.contracts.rollups import day_of, day_start, hour_of
from lianfang.common.db import utcnow
from lianfang.ingest.partitions import drop_months_before
from lianfang.ingest.repository import RecordsRepository

__all__ = ["Purged", "cutoff", "purge"]

_Step = Callable[[RecordsRepository], Awaitable[int]]


@dataclass
class Purged:
    before: datetime
    partitions: list[str] = field(default_factory=list)
    # Deleted row by row (records in dropped partitions are not counted: dropping does not count them).
    records: int = 0
    keys: int = 0
    decisions: int = 0
    # Rows of the rollups deleted (those of the hour and day at the cut-off are counted again, not deleted).
    hours: int = 0
    days: int = 0

    def __iadd__(self, other: Purged) -> Purged:
        """What two backends of a sharded store purged at the same cut-off."""
        self.partitions += other.partitions
        self.records += other.records
        self.keys += other.keys
        self.decisions += other.decisions
        self.hours += other.hours
        self.days += other.days
        return self


def cutoff(retention_days: int, now: datetime | None = None) -> datetime:
    """Records checked in before this instant are past the retention; one checked in at it is kept."""
    return (now or utcnow()) - timedelta(days=retention_days)


async def purge(engine: AsyncEngine, *, before: datetime, batch_size: int, lock_wait_seconds: int = 10) -> Purged:
    purged = Purged(before, await drop_months_before(engine, before, lock_wait_seconds=lock_wait_seconds))
    async with engine.connect() as connection:
        provinces = await RecordsRepository(connection).provinces()
    for province in provinces:

        async def records(repository: RecordsRepository, province: int = province) -> int:
            return await repository.purge_records(province, before=before, limit=batch_size)

        purged.records += await _in_batches(engine, records, batch_size)
    purged.keys = await _in_batches(
        engine, lambda repository: repository.purge_keys(before=before, limit=batch_size), batch_size
    )
    purged.decisions = await _in_batches(
        engine, lambda repository: repository.purge_decisions(received_before=before, limit=batch_size), batch_size
    )
    await _purge_rollups(engine, purged, batch_size)
    return purged


async def _purge_rollups(engine: AsyncEngine, purged: Purged, batch_size: int) -> None:
    before = purged.before
    hour, day = hour_of(before), day_of(before)
    async with engine.connect() as connection:
        provinces = await RecordsRepository(connection).rollup_provinces()
    for province in provinces:

        async def hours(repository: RecordsRepository, province: int = province) -> int:
            return await repository.purge_hours(province, before=hour, limit=batch_size)

        async def days(repository: RecordsRepository, province: int = province) -> int:
            return await repository.purge_days(province, before=day, limit=batch_size)

        purged.hours += await _in_batches(engine, hours, batch_size)
        purged.days += await _in_batches(engine, days, batch_size)
        async with engine.begin() as connection:
            repository = RecordsRepository(connection)
            if before > hour:
                await repository.recount_hour(province, hour)  # and its day
            elif before > day_start(day):
                await repository.recount_day(province, day)


async def _in_batches(engine: AsyncEngine, step: _Step, batch_size: int) -> int:
    """Run `step` in a transaction of its own until it deletes less than a whole batch; answers the total."""
    total = 0
    while True:
        async with engine.begin() as connection:
            deleted = await step(RecordsRepository(connection))
        total += deleted
        if deleted < batch_size:
            return total
