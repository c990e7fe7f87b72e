from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from lianfang.common.auth import CurrentAdmin
from lianfang.common.db import DbSession
from lianfang.common.errors import Forbidden, ValidationFailed, error_responses
from lianfang.common.oplog.models import OperationAction, OperationEntryColumns, TargetKind
from lianfang.common.oplog.repository import OperationLogRepository
from lianfang.common.oplog.schemas import OperationEntryOut, OperationEntryPage

__all__ = ["operation_log_router"]


def operation_log_router(prefix: str, model: type[OperationEntryColumns], what: str) -> APIRouter:
    """`GET <prefix>/operation-log` over the service's own entries; `what` says which targets the service owns."""
    router = APIRouter(prefix=f"{prefix}/operation-log", tags=["操作日志"])

    async def operation_log(
        admin: CurrentAdmin,
        session: DbSession,
        username: Annotated[str | None, Query(max_length=64)] = None,
        action: OperationAction | None = None,
        target_kind: TargetKind | None = None,
        from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
        to: AwareDatetime | None = None,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> OperationEntryPage:
        page = await OperationLogRepository(session, model).page_in_scope(
            admin.region_path,
            username=username.strip() if username else None,
            action=action,
            target_kind=target_kind,
            since=from_,
            until=to,
            cursor=cursor,
            limit=limit,
        )
        return OperationEntryPage(
            items=[OperationEntryOut.of(entry) for entry in page.items], next_cursor=page.next_cursor
        )

    router.add_api_route(
        "",
        operation_log,
        methods=["GET"],
        responses=error_responses(Forbidden, ValidationFailed),
        summary="操作日志",
        description=f"Who changed {what} in the caller's subtree (the caller's own region included), newest first: "
        "entries whose target lies in the subtree, whoever made them. `username` is the operator's, in full.",
    )
    return router
