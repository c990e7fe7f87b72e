from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select

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

    async def delete_before(self, cutoff: datetime, *, limit: int) -> int:
        """Deletes up to `limit` entries older than `cutoff`, found first by the `at` index (MySQL takes no LIMIT in the
        subquery of a DELETE)."""
        ids = list(
            (await self.session.scalars(select(AccessLogEntry.id).where(AccessLogEntry.at < cutoff).limit(limit))).all()
        )
        if ids:
            await self.session.execute(delete(AccessLogEntry).where(AccessLogEntry.id.in_(ids)))
        return len(ids)
