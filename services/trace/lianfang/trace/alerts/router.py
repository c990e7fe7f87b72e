from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from lianfang.common.db import RowId
from lianfang.common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from lianfang.trace.alerts.handling import AlertHandlings, GateReporting
from lianfang.trace.alerts.schemas import (
    AlertHandling,
    AlertPage,
    GateReport,
    GateReportList,
    GateReportSearch,
    HandlingCreate,
)
from lianfang.trace.alerts.service import ALERTS, Alerts
from lianfang.trace.models import AlertState
from lianfang.trace.params import From, Reason, To
from lianfang.trace.trajectory.schemas import TrajectoryOut
from lianfang.trace.trajectory.service import Trajectories

__all__ = ["router"]

router = APIRouter(prefix=ALERTS, tags=["预警"])


@router.get("", responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def list_alerts(
    alerts: Alerts,
    start: From = None,
    end: To = None,
    region_id: Annotated[RowId | None, Query(description="该地区及其下级地区的预警；默认本人所属地区")] = None,
    checkpoint_id: RowId | None = None,
    state: Annotated[AlertState | None, Query(description="处置状态；默认全部")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertPage:
    """Abnormal records (fevers) of the caller's subtree, newest first, masked, paged like the records, each with its
    handling state; each names the call that lists the person's visits of the 14 days before it. With `state`, pages
    of alerts are read until the page is full (at most `_PAGES_PER_STATE_PAGE` of them), since states live apart from
    the records."""
    return await alerts.page(
        start=start, end=end, region_id=region_id, checkpoint_id=checkpoint_id, state=state, cursor=cursor, limit=limit
    )


@router.get("/{record_id}/handling", responses=error_responses(NotFound, ServiceUnavailable))
async def alert_handling(
    record_id: uuid.UUID,
    handlings: AlertHandlings,
) -> AlertHandling:
    """The alert's state and every step of its handling."""
    return await handlings.history(record_id)


@router.post("/{record_id}/handling", responses=error_responses(NotFound, ValidationFailed, ServiceUnavailable))
async def handle_alert(
    record_id: uuid.UUID,
    body: HandlingCreate,
    handlings: AlertHandlings,
) -> AlertHandling:
    """A step in handling the alert: its new state (待处置 / 处置中 / 已处置) with a note; who and when are recorded.
    Any admin whose subtree holds the record may handle it; 404 otherwise."""
    return await handlings.handle(record_id, body)


@router.post(
    "/{record_id}/gate-report",
    responses=error_responses(Unauthorized, Forbidden, NotFound, ValidationFailed, ServiceUnavailable),
)
async def report_from_the_gate(
    record_id: uuid.UUID,
    body: GateReport,
    reports: GateReporting,
) -> AlertHandling:
    """处置 from the staff board: the gate keeper on duty where a fever was checked in tells the region's alerts what
    they did; the alert becomes 处置中 with their note, by them. Another checkpoint's record, one without a fever, or one
    the records store has not taken yet: 404."""
    return await reports.report(record_id, body)


@router.post(
    "/gate-reports/search", responses=error_responses(Unauthorized, Forbidden, ValidationFailed, ServiceUnavailable)
)
async def search_gate_reports(body: GateReportSearch, reports: GateReporting) -> GateReportList:
    """Which of these fevers of the caller's checkpoints were sent to the region's alerts (处置), each with its
    handling as it stands; records of other checkpoints and those never sent are left out. The check-in service asks
    for the staff board's fevers of the day."""
    return await reports.search(body)


@router.get("/{record_id}/visits", responses=error_responses(NotFound, ServiceUnavailable))
async def alert_visits(
    record_id: uuid.UUID,
    trajectories: Trajectories,
    reason: Reason = None,
) -> TrajectoryOut:
    """The visits inside the caller's subtree of the person behind an abnormal record, from 14 days before it
    (`LIANFANG_LOOKBACK_DAYS`) until now, in time order: a trajectory lookup, written to the access log as one."""
    return await trajectories.of_alert(record_id, reason=reason)
