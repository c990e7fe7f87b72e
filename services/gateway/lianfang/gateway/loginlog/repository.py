from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select

from lianfang.common.contracts.regions import ROOT_REGION_PATH
from lianfang.common.db import Page, Repository
from lianfang.gateway.models import LoginEvent, LoginOutcome

__all__ = ["LoginEventRepository"]


class LoginEventRepository(Repository[LoginEvent]):
    model = LoginEvent

    async def page_in_scope(
        self,
        scope_path: str,
        *,
        username: str | None,
        outcome: LoginOutcome | None,
        since: datetime | None,
        until: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[LoginEvent]:
        in_scope = LoginEvent.region_path.startswith(scope_path, autoescape=True)
        # Tries at usernames no account has belong to nobody's region: the root region's admins read them.
        if scope_path == ROOT_REGION_PATH:
            in_scope = or_(in_scope, LoginEvent.region_path.is_(None))
        statement = select(LoginEvent).where(in_scope)
        if username:
            statement = statement.where(LoginEvent.username == username)
        if outcome is not None:
            statement = statement.where(LoginEvent.outcome == outcome)
        if since is not None:
            statement = statement.where(LoginEvent.at >= since)
        if until is not None:
            statement = statement.where(LoginEvent.at < until)
        return await self.paginate(statement, key=LoginEvent.id, cursor=cursor, limit=limit, parse=uuid.UUID)
