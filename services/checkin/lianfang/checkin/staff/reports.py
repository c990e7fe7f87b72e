"""Which fevers of the staff board were sent to the region's alerts (处置): the trace service keeps the alerts' handling,
so the board's 已报送 outlives a reload, a reconnect and a switch of device."""

from __future__ import annotations

import logging
import uuid
from typing import Final

import httpx
from pydantic import ValidationError

from lianfang.checkin.staff.schemas import GateReportMark, GateReportMarks

__all__ = ["GateReportsClient"]

log = logging.getLogger(__name__)

# The board waits for today's arrivals while it loads.
_TIMEOUT_SECONDS: Final = 3.0
_SEARCH = "/api/trace/alerts/gate-reports/search"


class GateReportsClient:
    """Asks trace with the gate keeper's own token (trace scopes the answer to their checkpoints). Best effort: without
    trace the arrivals come without their marks and the board offers 处置 again, which trace answers when it is back."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def marks(self, record_ids: list[uuid.UUID], token: str) -> dict[uuid.UUID, GateReportMark]:
        if not record_ids:
            return {}
        try:
            response = await self._http.post(
                _SEARCH,
                json={"record_ids": [str(record_id) for record_id in record_ids]},
                headers={"Authorization": f"Bearer {token}"},
                timeout=_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as error:
            log.warning("no gate reports from trace: %s", type(error).__name__)
            return {}
        if response.status_code != httpx.codes.OK:
            log.warning("no gate reports from trace: HTTP %s", response.status_code)
            return {}
        try:
            found = GateReportMarks.model_validate_json(response.content)
        except ValidationError:
            log.warning("no gate reports from trace: an answer of another shape")
            return {}
        return {mark.record_id: mark for mark in found.items}
