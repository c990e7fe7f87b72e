from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from lianfang.common.db import Page, Repository
from lianfang.gateway.models import Account, AccountRole

__all__ = ["AccountRepository"]


class AccountRepository(Repository[Account]):
    model = Account

    async def username_taken(self, username: str) -> bool:
        return await self.first(select(Account).where(Account.username == username)) is not None

    async def page_in_scope(
        self,
        scope_path: str,
        *,
        region_id: int | None,
        role: AccountRole | None,
        query: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Account]:
        statement = select(Account).where(Account.region_path.startswith(scope_path, autoescape=True))
        if region_id is not None:
            statement = statement.where(Account.region_id == region_id)
        if role is not None:
            statement = statement.where(Account.role == role)
        if query:
            pattern = f"%{query}%"
            statement = statement.where(or_(Account.username.like(pattern), Account.name.like(pattern)))
        return await self.paginate(statement, key=Account.id, cursor=cursor, limit=limit, parse=uuid.UUID)
