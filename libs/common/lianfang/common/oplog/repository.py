from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.db import Page, Repository
from lianfang.common.oplog.models import OperationAction, OperationEntryColumns, TargetKind

__all__ = ["OperationLogRepository"]


class OperationLogRepository(Repository[Any]):
    """The operation log of one service's store; `model` is that service's mapping of `OperationEntryColumns`."""

    def __init__(self, session: AsyncSession, model: type[OperationEntryColumns]) -> None:
        super().__init__(session)
        self.model = model

    async def page_in_scope(
        self,
        scope_path: str,
        *,
        username: str | None,
        action: OperationAction | None,
        target_kind: TargetKind | None,
        since: datetime | None,
        until: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Any]:
        """Entries whose target lies in the subtree, whoever made them, newest first."""
        entry = self.model
        statement = select(entry).where(entry.region_path.startswith(scope_path, autoescape=True))
        if username:
            statement = statement.where(entry.operator_username == username)
        if action is not None:
            statement = statement.where(entry.action == action)
        if target_kind is not None:
            statement = statement.where(entry.target_kind == target_kind)
        if since is not None:
            statement = statement.where(entry.at >= since)
        if until is not None:
            statement = statement.where(entry.at < until)
        return await self.paginate(statement, key=entry.id, cursor=cursor, limit=limit, parse=uuid.UUID)
