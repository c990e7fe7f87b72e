from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from lianfang.common.auth import BearerToken, CurrentAdmin
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.contracts.paths import TRACE
from lianfang.common.db import DbSession
from lianfang.common.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.alerts.handling import AlertEvents, AlertHandlingService
from lianfang.trace.alerts.schemas import AlertHandling, AlertOut, AlertPage, HandlingCreate
from lianfang.trace.deps import RecordsSession, Trace
from lianfang.trace.models import ALERT_STATE_LABELS, AlertState
from lianfang.trace.params import From, Reason, To
from lianfang.trace.periods import shown
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
    state: Annotated[AlertState | None, Query(description="处置状态；默认全部")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    *,
    trace_session: DbSession,
) -> AlertPage:
    """Abnormal records (fevers) of the caller's subtree, newest first, masked, paged like the records, each with its
    handling state; each names the call that lists the person's visits of the 14 days before it. With `state`, pages
    of alerts are read until the page is full (at most `_PAGES_PER_STATE_PAGE` of them), since states live apart from
    the records."""
    search = RecordSearch(
        region_id=region_id, checkpoint_id=checkpoint_id, start=start, end=end, status=RecordStatus.abnormal
    )
    records = RecordService(session, parts, admin, token)
    events = AlertEvents(trace_session)
    items: list[AlertOut] = []
    next_cursor = cursor
    for _ in range(_PAGES_PER_STATE_PAGE if state is not None else 1):
        page = await records.page(search, cursor=next_cursor, limit=limit)
        latest = await events.latest([item.id for item in page.items])
        for item in page.items:
            event = latest.get(item.id)
            shown_state = event.state if event is not None else AlertState.pending
            if state is not None and shown_state != state:
                continue
            items.append(
                AlertOut(
                    **item.model_dump(),
                    visits_url=f"{PREFIX}/{item.id}/visits",
                    state=shown_state,
                    state_label=ALERT_STATE_LABELS[shown_state],
                    state_note=event.note if event else None,
                    state_at=shown(event.at) if event else None,
                )
            )
        next_cursor = page.next_cursor
        if len(items) >= limit or next_cursor is None:
            break
    return AlertPage(items=items, next_cursor=next_cursor)


# A state's page reads at most this many pages of alerts to fill itself; a sparse state may come in shorter pages.
_PAGES_PER_STATE_PAGE = 10


@router.get("/{record_id}/handling", responses=error_responses(NotFound, ServiceUnavailable))
async def alert_handling(
    record_id: uuid.UUID,
    admin: CurrentAdmin,
    token: BearerToken,
    session: RecordsSession,
    parts: Trace,
    trace_session: DbSession,
) -> AlertHandling:
    """The alert's state and every step of its handling."""
    return await AlertHandlingService(trace_session, session, parts, admin, token).history(record_id)


@router.post("/{record_id}/handling", responses=error_responses(NotFound, ValidationFailed, ServiceUnavailable))
async def handle_alert(
    record_id: uuid.UUID,
    body: HandlingCreate,
    admin: CurrentAdmin,
    token: BearerToken,
    session: RecordsSession,
    parts: Trace,
    trace_session: DbSession,
) -> AlertHandling:
    """A step in handling the alert: its new state (待处置 / 处置中 / 已处置) with a note; who and when are recorded.
    Any admin whose subtree holds the record may handle it; 404 otherwise."""
    return await AlertHandlingService(trace_session, session, parts, admin, token).handle(record_id, body)


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
