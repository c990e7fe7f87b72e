from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.db import Database
from lianfang.common.ids import new_id
from lianfang.common.observability import request_id
from lianfang.trace.audit.repository import AccessLogRepository
from lianfang.trace.audit.schemas import AccessLogOut, AccessLogPage
from lianfang.trace.models import AccessAction, AccessLogEntry
from lianfang.trace.people import Identity

__all__ = ["AccessLog", "AccessLogService"]


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
    def __init__(self, session: AsyncSession, caller: AdminPrincipal) -> None:
        self.caller = caller
        self.entries = AccessLogRepository(session)

    async def page(self, *, action: AccessAction | None, cursor: str | None, limit: int) -> AccessLogPage:
        """What anyone in the caller's subtree (the caller included) looked up."""
        page = await self.entries.page_within(self.caller.region_path, action=action, cursor=cursor, limit=limit)
        return AccessLogPage(items=[AccessLogOut.of(entry) for entry in page.items], next_cursor=page.next_cursor)
