from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, BearerToken, CurrentAdmin
from lianfang.common.db import Database, DbSession
from lianfang.common.ids import new_id
from lianfang.common.observability import request_id
from lianfang.common.state import app_state
from lianfang.trace.audit.repository import AccessLogRepository
from lianfang.trace.audit.schemas import AccessLogOut, AccessLogPage
from lianfang.trace.deps import Directory
from lianfang.trace.directory import NameDirectory
from lianfang.trace.models import AccessAction, AccessLogEntry
from lianfang.trace.people import Identity

__all__ = ["AccessLog", "AccessLogService", "AccessLogWriter", "AccessLogs"]


class AccessLog:
    """Writes the access log. Unlike every other write, an entry is its own transaction, committed before the query it
    describes runs: no result may leave without its entry stored, whatever becomes of the request afterwards (and a
    log that cannot be written refuses the query)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def record(
        self,
        caller: AdminPrincipal,
        action: AccessAction,
        query: dict[str, Any],
        *,
        subject: Identity | None,
        reason: str | None,
    ) -> None:
        entry = AccessLogEntry(
            id=new_id(),
            actor_id=caller.id,
            actor_region_id=caller.region_id,
            actor_region_path=caller.region_path,
            action=action,
            query=query,
            subject=subject.subject if subject else None,
            reason=reason,
            request_id=request_id.get(),
        )
        async with self._database.sessionmaker.begin() as session:
            await AccessLogRepository(session).add(entry)


class AccessLogService:
    def __init__(self, session: AsyncSession, caller: AdminPrincipal, token: str, *, directory: NameDirectory) -> None:
        self.caller = caller
        self.token = token
        self.entries = AccessLogRepository(session)
        self.directory = directory

    async def page(self, *, action: AccessAction | None, cursor: str | None, limit: int) -> AccessLogPage:
        """What anyone in the caller's subtree (the caller included) looked up, with the names of the regions and
        checkpoints it names (officials read names, not ids)."""
        page = await self.entries.page_within(self.caller.region_path, action=action, cursor=cursor, limit=limit)
        region_ids = {entry.actor_region_id for entry in page.items}
        region_ids |= {value for entry in page.items if isinstance(value := entry.query.get("region_id"), int)}
        checkpoint_ids = {value for entry in page.items if isinstance(value := entry.query.get("checkpoint_id"), int)}
        regions = await self.directory.regions(region_ids, self.token)
        checkpoints = await self.directory.checkpoints(checkpoint_ids, self.token) if checkpoint_ids else {}
        items = []
        for entry in page.items:
            out = AccessLogOut.of(entry)
            actor_region = regions.get(entry.actor_region_id)
            out.actor_region_name = actor_region.name if actor_region else None
            region = regions.get(entry.query.get("region_id", -1))
            checkpoint = checkpoints.get(entry.query.get("checkpoint_id", -1))
            out.query_names = {
                **({"region_id": region.name} if region else {}),
                **({"checkpoint_id": checkpoint.name} if checkpoint else {}),
            }
            items.append(out)
        return AccessLogPage(items=items, next_cursor=page.next_cursor)


# The access log's writer, built at start-up on the access log's own store.
AccessLogWriter = Annotated[AccessLog, Depends(app_state("access_log"))]


async def access_log_service(
    admin: CurrentAdmin, token: BearerToken, session: DbSession, directory: Directory
) -> AccessLogService:
    return AccessLogService(session, admin, token, directory=directory)


AccessLogs = Annotated[AccessLogService, Depends(access_log_service)]
