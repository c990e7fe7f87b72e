from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from lianfang.common.auth import BearerToken, CurrentAdmin
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.alerts.schemas import AlertOut, AlertPage
from lianfang.trace.deps import RecordsSession, Trace
from lianfang.trace.params import From, Reason, To
from lianfang.trace.records.service import RecordSearch, RecordService
from lianfang.trace.trajectory.schemas import TrajectoryOut
from lianfang.trace.trajectory.service import TrajectoryService

__all__ = ["router"]

PREFIX = f"{TRACE}/alerts"
router = APIRouter(prefix=PREFIX, tags=["预警"])


@router.get("", responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def list_alerts(
    admin: CurrentAdmin,
    token: BearerToken,
    session: RecordsSession,
    parts: Trace,
    start: From = None,
    end: To = None,
    region_id: Annotated[int | None, Query(description="该地区及其下级地区的预警；默认本人所属地区")] = None,
    checkpoint_id: int | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertPage:
    """Abnormal records (fevers) of the caller's subtree, newest first, masked, paged like the records; each names the
    call that lists the person's visits of the 14 days before it."""
    search = RecordSearch(
        region_id=region_id, checkpoint_id=checkpoint_id, start=start, end=end, status=RecordStatus.abnormal
    )
    page = await RecordService(session, parts, admin, token).page(search, cursor=cursor, limit=limit)
    return AlertPage(
        items=[AlertOut(**item.model_dump(), visits_url=f"{PREFIX}/{item.id}/visits") for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{record_id}/visits", responses=error_responses(NotFound, ServiceUnavailable))
async def alert_visits(
    record_id: uuid.UUID,
    admin: CurrentAdmin,
    token: BearerToken,
    session: RecordsSession,
    parts: Trace,
    reason: Reason = None,
) -> TrajectoryOut:
    """The visits inside the caller's subtree of the person behind an abnormal record, from 14 days before it
    (`LIANFANG_LOOKBACK_DAYS`) until now, in time order: a trajectory lookup, written to the access log as one."""
    return await TrajectoryService(session, parts, admin, token).of_alert(record_id, reason=reason)
