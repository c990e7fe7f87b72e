from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, ValidationFailed, error_responses
from lianfang.trace.audit.schemas import AccessLogPage
from lianfang.trace.audit.service import AccessLogs
from lianfang.trace.models import AccessAction

__all__ = ["router"]

router = APIRouter(prefix=f"{TRACE}/audit-log", tags=["访问日志"])


@router.get("", responses=error_responses(Forbidden, ValidationFailed))
async def access_log(
    access_logs: AccessLogs,
    action: AccessAction | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AccessLogPage:
    """Who in the caller's subtree (the caller included) ran which person search, trajectory, contact screening, export
    or unmasking, when and why, newest first: the queries, never their results."""
    return await access_logs.page(action=action, cursor=cursor, limit=limit)
