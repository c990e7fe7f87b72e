"""Generated rows into the records store as fast as it takes them.

Rows go in as the driver's own bulk call, one transaction per batch: on MariaDB a prepared INSERT sent as one binary
COM_STMT_BULK_EXECUTE (no SQL text to build, escape and parse), on SQLite `executemany`. Neither goes through
SQLAlchemy's per-value conversion, which would cost more than the database does.

Into an empty `records` table on MariaDB/MySQL the secondary indexes are dropped first and built again at the end: a
hash-keyed index (phone, ID number, name, resident) takes each row at a random place, which past the buffer pool costs
a disk read per row and index, while building the index afterwards sorts once. The months of the past get partitions of
their own first (`partition_back`), so retention can drop them whole.

Each batch is counted into the rollups (`record_hours`, `record_days`) in its own transaction, as the ingest worker
counts what it stores: the batch's rows added up per checkpoint and hour (and Shanghai day) in the thread that makes
them, then one upsert per table that adds to the counts already there, so a store that holds records already (a second
run) stays counted right.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from functools import cache
from itertools import islice
from typing import Any, Final

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from lianfang.allinone.demo_records.people import Person
from lianfang.allinone.demo_records.tree import Site
from lianfang.allinone.demo_records.visits import COLUMNS, PERSON_COLUMNS, SITE_COLUMNS, Row
from lianfang.common.beijing import BEIJING_OFFSET
from lianfang.common.contracts.records import ROLLUP_COUNTS
from lianfang.common.contracts.rollups import ANCESTRY
from lianfang.ingest.partitions import partition_back
from lianfang.ingest.rows import RECORDS

__all__ = ["indexes_built_after", "write_rows"]

_INSERT = f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"  # noqa: S608
# Where a row's status is among the columns after its person's (resident_id … temperature_measured_at come first).
_STATUS: Final = 6
_COUNT_OF = {status: index for index, status in enumerate(ROLLUP_COUNTS)}


def _upsert(table: str, time: str, dialect: str) -> str:
    """A rollup INSERT that adds its counts to a row already there, with `?` parameters."""
    columns = ("city_code", time, "checkpoint_id", "checkpoint_kind", *ANCESTRY, *ROLLUP_COUNTS)
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608
    if dialect == "mysql":
        return (
            f"{head} ON DUPLICATE KEY UPDATE {', '.join(f'{name} = {name} + VALUES({name})' for name in ROLLUP_COUNTS)}"
        )
    added = ", ".join(f"{name} = {name} + excluded.{name}" for name in ROLLUP_COUNTS)
    return f"{head} ON CONFLICT (city_code, {time}, checkpoint_id, checkpoint_kind) DO UPDATE SET {added}"


@cache
def _shanghai_day(hour: str) -> str:
    """The Shanghai date of a UTC hour written `YYYY-MM-DD HH`."""
    return f"{(datetime.strptime(hour, '%Y-%m-%d %H') + BEIJING_OFFSET).date():%Y-%m-%d}"


def _counted(chunk: Sequence[Row], sites: Sequence[Site]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of `record_hours` and `record_days` that count a batch, in the columns of `_upsert`."""
    hours: dict[tuple[int, str], list[int]] = {}
    for _, at, _, site, _, rest in chunk:
        cell = hours.get((site, at[:13]))
        if cell is None:
            cell = hours[site, at[:13]] = [0] * len(ROLLUP_COUNTS)
        cell[0] += 1
        cell[_COUNT_OF[rest[_STATUS]]] += 1
    days: dict[tuple[int, str], list[int]] = {}
    for (site, hour), counts in hours.items():
        cell = days.setdefault((site, _shanghai_day(hour)), [0] * len(ROLLUP_COUNTS))
        for index, count in enumerate(counts):
            cell[index] += count

    def place(site: Site) -> tuple[Any, ...]:
        return (*site.ancestry, site.region_id)

    return (
        [
            (
                sites[site].city_code,
                f"{hour}:00:00.000000",
                sites[site].id,
                sites[site].kind,
                *place(sites[site]),
                *counts,
            )
            for (site, hour), counts in hours.items()
        ],
        [
            (sites[site].city_code, day, sites[site].id, sites[site].kind, *place(sites[site]), *counts)
            for (site, day), counts in days.items()
        ],
    )


def _site_values(site: Site) -> tuple[object, ...]:
    return (site.city_code, *site.ancestry, site.region_id, site.id, site.kind, site.template_id, site.template_version)


def _person_values(person: Person) -> tuple[object, ...]:
    *personal, answers = PERSON_COLUMNS
    return (*(getattr(person.personal, name) for name in personal), getattr(person, answers))


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


@asynccontextmanager
async def indexes_built_after(engine: AsyncEngine, since: date) -> AsyncIterator[None]:
    """On an empty MySQL table: past months partitioned, secondary indexes dropped for the block and made again after
    it, whatever happens in it (the same indexes as the models and migrations describe)."""
    async with engine.connect() as connection:
        empty = await connection.scalar(select(func.count()).select_from(select(RECORDS.c.id).limit(1).subquery())) == 0
    if engine.dialect.name != "mysql" or not empty:
        yield
        return
    await partition_back(engine, since)
    indexes = [(index.name, [column.name for column in index.columns]) for index in RECORDS.indexes]
    async with engine.connect() as connection:
        await connection.execute(text(f"ALTER TABLE records {', '.join(f'DROP INDEX {name}' for name, _ in indexes)}"))
    try:
        yield
    finally:
        added = ", ".join(f"ADD INDEX {name} ({', '.join(columns)})" for name, columns in indexes)
        async with engine.connect() as connection:
            await connection.execute(text(f"ALTER TABLE records {added}"))


async def write_rows(
    engine: AsyncEngine,
    sites: Sequence[Site],
    people: Sequence[Person],
    rows: Iterable[Row],
    *,
    since: date,
    batch: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every row (the first of them on `since`), one commit per `batch`; answers how many were written, and
    tells `progress` after each batch."""
    assert len(SITE_COLUMNS) == len(_site_values(sites[0]))
    assert COLUMNS[COLUMNS.index("resident_id") + _STATUS] == "status"
    site_values = [_site_values(site) for site in sites]
    person_values = [_person_values(person) for person in people]

    def prepared_batch(chunk: list[Row]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        values = [
            (id_, at, key, *site_values[site], *person_values[person], *rest)
            for id_, at, key, site, person, rest in chunk
        ]
        return values, *_counted(chunk, sites)

    batches = (prepared_batch(chunk) for chunk in _chunks(rows, batch))
    dialect = engine.dialect.name
    upserts = (_upsert("record_hours", "hour", dialect), _upsert("record_days", "day", dialect))
    written = 0
    async with indexes_built_after(engine, since), engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        statements = [_INSERT, *upserts]
        prepared = [await raw.prepare(statement) for statement in statements] if dialect == "mysql" else None
        # The next batch is made in a thread while the database stores this one: generating costs about a third of
        # what storing does, and the two overlap.
        upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
        while (made := await upcoming) is not None:
            upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
            for index, values in enumerate(made):
                if prepared is not None:
                    await _execute_bulk(prepared[index], values)
                else:
                    await raw.executemany(statements[index], values)
            await raw.commit()
            written += len(made[0])
            if progress:
                progress(written)
        for statement in prepared or []:
            await statement.close()
    return written


async def _execute_bulk(prepared: Any, values: list[tuple[Any, ...]]) -> None:
    """One COM_STMT_BULK_EXECUTE; row by row where the driver cannot bulk them (a column NULL in every row)."""
    try:
        await prepared.execute_bulk(values)
    except ValueError:
        for row in values:
            await prepared.execute(row)
