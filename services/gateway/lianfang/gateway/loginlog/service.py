from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.db import DbSession, Page
from lianfang.gateway.loginlog.repository import LoginEventRepository
from lianfang.gateway.models import Account, LoginEvent, LoginOutcome

__all__ = ["LoginLog", "LoginLogService", "LoginSource"]

_USER_AGENT_LENGTH = 255


class LoginSource:
    """Where a login came from: the client's address (nginx's, behind it, as the lockout counts it) and its browser."""

    def __init__(self, address: str, user_agent: str | None) -> None:
        self.address = address[:64]
        self.user_agent = user_agent[:_USER_AGENT_LENGTH] if user_agent else None


class LoginLogService:
    def __init__(self, session: AsyncSession) -> None:
        self.events = LoginEventRepository(session)

    async def record(self, username: str, account: Account | None, outcome: LoginOutcome, source: LoginSource) -> None:
        """Added to the login's own transaction: a refused login commits it too (its errors have `commit_session`)."""
        await self.events.add(
            LoginEvent(
                username=username[:64],
                account_id=account.id if account else None,
                name=account.name if account else None,
                region_id=account.region_id if account else None,
                region_path=account.region_path if account else None,
                outcome=outcome,
                address=source.address,
                user_agent=source.user_agent,
            )
        )

    async def page(
        self,
        caller: AdminPrincipal,
        *,
        username: str | None,
        outcome: LoginOutcome | None,
        since: datetime | None,
        until: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[LoginEvent]:
        return await self.events.page_in_scope(
            caller.region_path,
            username=username.strip() if username else None,
            outcome=outcome,
            since=since,
            until=until,
            cursor=cursor,
            limit=limit,
        )


async def login_log_service(session: DbSession) -> LoginLogService:
    return LoginLogService(session)


LoginLog = Annotated[LoginLogService, Depends(login_log_service)]
