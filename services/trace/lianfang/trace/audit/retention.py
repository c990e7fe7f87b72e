"""The access log's retention: entries older than `LIANFANG_AUDIT_RETENTION_DAYS` (180) are deleted by a job every trace
instance runs. Deleting what another instance already deleted is harmless, so no lock is needed."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from lianfang.common.db import Database
from lianfang.trace.audit.repository import AccessLogRepository
from lianfang.trace.settings import TraceSettings

__all__ = ["purge_access_log", "purge_periodically"]

log = logging.getLogger(__name__)

# Rows deleted per transaction: short locks, and a bounded undo log on MySQL.
_BATCH = 5000


async def purge_access_log(
    database: Database, *, days: int, now: datetime | None = None, stopping: asyncio.Event | None = None
) -> int:
    """Deletes the entries older than `days` and answers how many went; stops between batches once `stopping` is
    set."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    purged = 0
    while not (stopping and stopping.is_set()):
        async with database.sessionmaker.begin() as session:
            deleted = await AccessLogRepository(session).delete_before(cutoff, limit=_BATCH)
        purged += deleted
        if deleted < _BATCH:
            break
    return purged


async def purge_periodically(database: Database, settings: TraceSettings, stopping: asyncio.Event) -> None:
    """At start-up, then every `LIANFANG_AUDIT_PURGE_INTERVAL_SECONDS`, until `stopping` is set. Stopping is asked,
    never forced: a task cancelled in the middle of a statement can leave its connection waiting forever."""
    while not stopping.is_set():
        try:
            purged = await purge_access_log(database, days=settings.audit_retention_days, stopping=stopping)
        except SQLAlchemyError:
            log.exception("the access log's retention purge failed; trying again later")
        else:
            if purged:
                log.info("purged %d access-log entries older than %d days", purged, settings.audit_retention_days)
        with suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), settings.audit_purge_interval_seconds)
