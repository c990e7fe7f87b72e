from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from lianfang.common.auth import CurrentAdmin
from lianfang.common.contracts.paths import AUTH
from lianfang.common.errors import Forbidden, ValidationFailed, error_responses
from lianfang.gateway.loginlog.schemas import LoginEventOut, LoginEventPage
from lianfang.gateway.loginlog.service import LoginLog
from lianfang.gateway.models import LoginOutcome

__all__ = ["router"]

router = APIRouter(prefix=f"{AUTH}/login-log", tags=["登录日志"])


@router.get("", responses=error_responses(Forbidden, ValidationFailed))
async def login_log(
    admin: CurrentAdmin,
    login_log: LoginLog,
    username: Annotated[str | None, Query(max_length=64)] = None,
    outcome: LoginOutcome | None = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LoginEventPage:
    """Password logins to accounts of the caller's subtree (the caller's own included), successes and failures, with
    the address and browser they came from, newest first; the root region's admins also see tries at usernames no
    account has."""
    page = await login_log.page(
        admin,
        username=username,
        outcome=outcome,
        since=from_,
        until=to,
        cursor=cursor,
        limit=limit,
    )
    return LoginEventPage(items=[LoginEventOut.of(event) for event in page.items], next_cursor=page.next_cursor)
