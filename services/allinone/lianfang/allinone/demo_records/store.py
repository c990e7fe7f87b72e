"""Generated rows into the records store as fast as it takes them.

Rows go in as the driver's own bulk call, one transaction per batch: on MariaDB a prepared INSERT sent as one binary
COM_STMT_BULK_EXECUTE (no SQL text to build, escape and parse), on SQLite `executemany`. Neither goes through
SQLAlchemy's per-value conversion, which would cost more than the database does.

Into an empty `records` table on MariaDB/MySQL the secondary indexes are dropped first and built again at the end: a
hash-keyed index (phone, ID number, name, resident) takes each row at a random place, which past the buffer pool costs
a disk read per row and index, while building the index afterwards sorts once. The months of the past get partitions of
their own first (`partition_back`), so retention can drop them whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from itertools import islice

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from lianfang.allinone.demo_records.people import Person
from lianfang.allinone.demo_records.tree import Site
from lianfang.allinone.demo_records.visits import COLUMNS, PERSON_COLUMNS, SITE_COLUMNS, Row
from lianfang.ingest.partitions import partition_back
from lianfang.ingest.repository import RECORDS

__all__ = ["write_rows"]

_INSERT = f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"  # noqa: S608


def _site_values(site: Site) -> tuple[object, ...]:
    return (site.city_code, *site.ancestry, site.region_id, site.id, site.kind, site.template_id, site.template_version)


def _person_values(person: Person) -> tuple[object, ...]:
    return tuple(getattr(person, name) for name in PERSON_COLUMNS)


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


@asynccontextmanager
async def _indexes_built_after(engine: AsyncEngine, since: date) -> AsyncIterator[None]:
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
    site_values = [_site_values(site) for site in sites]
    person_values = [_person_values(person) for person in people]
    batches = (
        [
            (id_, at, key, *site_values[site], *person_values[person], *rest)
            for id_, at, key, site, person, rest in chunk
        ]
        for chunk in _chunks(rows, batch)
    )
    written = 0
    async with _indexes_built_after(engine, since), engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        prepared = await raw.prepare(_INSERT) if engine.dialect.name == "mysql" else None
        # The next batch is made in a thread while the database stores this one: generating costs about a third of
        # what storing does, and the two overlap.
        upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
        while (values := await upcoming) is not None:
            upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
            if prepared is not None:
                await prepared.execute_bulk(values)
            else:
                await raw.executemany(_INSERT, values)
            await raw.commit()
            written += len(values)
            if progress:
                progress(written)
        if prepared is not None:
            await prepared.close()
    return written
