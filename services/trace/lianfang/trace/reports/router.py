from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.contacts.schemas import ContactsQuery
from lianfang.trace.downloads import attachment
from lianfang.trace.reports.service import Report, Reports
from lianfang.trace.trajectory.router import Person

__all__ = ["router"]

router = APIRouter(prefix=TRACE, tags=["轨迹与密接"])

_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "流调报告（A4 PDF）"}}
_ERRORS = error_responses(Forbidden, ValidationFailed, ServiceUnavailable)


def _sent(report: Report) -> Response:
    return Response(report.content, media_type="application/pdf", headers=attachment(report.filename, report.fallback))


@router.get("/people/trajectory.pdf", response_class=Response, responses=_PDF | _ERRORS)
async def trajectory_report(reports: Reports, query: Person) -> Response:
    """The trajectory (`GET /api/trace/people/trajectory`, the same parameters) printed as a 流调报告: who (masked
    unless `unmask=true` with a `reason`), the period, who printed it and when, every visit with its stay. Logged like
    the trajectory, with `format: pdf`."""
    return _sent(await reports.trajectory(query))


@router.post("/contacts.pdf", response_class=Response, responses=_PDF | _ERRORS)
async def contacts_report(body: ContactsQuery, reports: Reports) -> Response:
    """Contact screening (`POST /api/trace/contacts`, the same body) printed as a 流调报告: the index person's stays,
    then the contacts (and second-degree contacts) closest first, masked. Logged like the screening, with
    `format: pdf`."""
    return _sent(await reports.contacts(body))
