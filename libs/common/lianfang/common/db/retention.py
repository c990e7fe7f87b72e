"""Time-limited tables (the login log, the operation log): rows older than their retention are deleted by a job every
instance runs periodically. Deleting what another instance already deleted is harmless, so no lock is needed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute

from lianfang.common.db.engine import Database

__all__ = ["Retention", "purge_expired", "purge_periodically"]

log = logging.getLogger(__name__)

# Rows deleted per transaction: short locks, and a bounded undo log on MySQL.
_BATCH = 5000


@dataclass(frozen=True)
class Retention:
    """What a table keeps: rows whose `at` is at most `days` old. `id` is its primary key."""

    what: str
    id: InstrumentedAttribute[Any]
    at: InstrumentedAttribute[datetime]
    days: int


async def purge_expired(
    database: Database, retention: Retention, *, now: datetime | None = None, stopping: asyncio.Event | None = None
) -> int:
    """Deletes the rows past the retention and answers how many went; stops between batches once `stopping` is set."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention.days)
    purged = 0
    while not (stopping and stopping.is_set()):
        async with database.sessionmaker.begin() as session:
            # Found first by the time index: MySQL takes no LIMIT in the subquery of a DELETE.
            ids = list((await session.scalars(select(retention.id).where(retention.at < cutoff).limit(_BATCH))).all())
            if ids:
                await session.execute(delete(retention.id.class_).where(retention.id.in_(ids)))
        purged += len(ids)
        if len(ids) < _BATCH:
            break
    return purged


async def purge_periodically(
    database: Database,
    retentions: Sequence[Retention],
    *,
    interval_seconds: float,
    stopping: asyncio.Event,
    at_start: bool = False,
) -> None:
    """Every `interval_seconds` from start-up until `stopping` is set, and at start-up too when `at_start`: a server
    that meets a rush as it starts (the gateway's logins) leaves it for the first interval, as the purge is rarely more
    than an hour due. Stopping is asked, never forced: a task cancelled in the middle of a statement can leave its
    connection waiting forever."""
    first = at_start
    while True:
        if not first:
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval_seconds)
        first = False
        if stopping.is_set():
            return
        for retention in retentions:
            try:
                purged = await purge_expired(database, retention, stopping=stopping)
            except SQLAlchemyError:
                log.exception("the retention purge of the %s failed; trying again later", retention.what)
            else:
                if purged:
                    log.info("purged %d rows of the %s older than %d days", purged, retention.what, retention.days)
