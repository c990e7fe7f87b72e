from __future__ import annotations

import uuid

from sqlalchemy import select

from lianfang.common.db import Page, Repository
from lianfang.trace.models import AccessAction, AccessLogEntry

__all__ = ["AccessLogRepository"]


class AccessLogRepository(Repository[AccessLogEntry]):
    model = AccessLogEntry

    async def page_within(
        self, scope_path: str, *, action: AccessAction | None, cursor: str | None, limit: int
    ) -> Page[AccessLogEntry]:
        """Entries of actors in the subtree, newest first."""
        statement = select(AccessLogEntry).where(
            AccessLogEntry.actor_region_path.startswith(scope_path, autoescape=True)
        )
        if action is not None:
            statement = statement.where(AccessLogEntry.action == action)
        return await self.paginate(statement, key=AccessLogEntry.id, cursor=cursor, limit=limit, parse=uuid.UUID)
