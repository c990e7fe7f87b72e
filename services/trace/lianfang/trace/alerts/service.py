from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.contracts.paths import TRACE
from lianfang.common.db import DbSession
from lianfang.trace.alerts.handling import AlertEvents
from lianfang.trace.alerts.schemas import AlertOut, AlertPage
from lianfang.trace.models import ALERT_STATE_LABELS, AlertState
from lianfang.trace.records.service import Records, RecordSearch, RecordService

__all__ = ["ALERTS", "AlertService", "Alerts"]

ALERTS = f"{TRACE}/alerts"
# A state's page reads at most this many pages of alerts to fill itself; a sparse state may come in shorter pages.
_PAGES_PER_STATE_PAGE = 10


class AlertService:
    """Alerts are the abnormal records, read as the records are; their handling states live apart, in trace's own
    store."""

    def __init__(self, records: RecordService, events: AlertEvents) -> None:
        self.records = records
        self.events = events

    async def page(
        self,
        *,
        start: datetime | None,
        end: datetime | None,
        region_id: int | None,
        checkpoint_id: int | None,
        state: AlertState | None,
        cursor: str | None,
        limit: int,
    ) -> AlertPage:
        search = RecordSearch(
            region_id=region_id, checkpoint_id=checkpoint_id, start=start, end=end, status=RecordStatus.abnormal
        )
        items: list[AlertOut] = []
        next_cursor = cursor
        for _ in range(_PAGES_PER_STATE_PAGE if state is not None else 1):
            page = await self.records.page(search, cursor=next_cursor, limit=limit, with_total=False)
            latest = await self.events.latest([item.id for item in page.items])
            for item in page.items:
                event = latest.get(item.id)
                shown_state = event.state if event is not None else AlertState.pending
                if state is not None and shown_state != state:
                    continue
                items.append(
                    AlertOut(
                        **item.model_dump(),
                        visits_url=f"{ALERTS}/{item.id}/visits",
                        state=shown_state,
                        state_label=ALERT_STATE_LABELS[shown_state],
                        state_note=event.note if event else None,
                        state_at=in_beijing(event.at) if event else None,
                    )
                )
            next_cursor = page.next_cursor
            if len(items) >= limit or next_cursor is None:
                break
        return AlertPage(items=items, next_cursor=next_cursor)


async def alert_service(records: Records, session: DbSession) -> AlertService:
    return AlertService(records, AlertEvents(session))


Alerts = Annotated[AlertService, Depends(alert_service)]
