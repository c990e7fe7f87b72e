"""Handling fever alerts: 待处置 → 处置中 → 已处置, each step with a note, by whom (their region) and when."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.errors import NotFound
from lianfang.common.ids import new_id
from lianfang.trace.alerts.schemas import AlertHandling, AlertStep, HandlingCreate
from lianfang.trace.deps import TraceParts
from lianfang.trace.directory import RegionInfo
from lianfang.trace.models import ALERT_STATE_LABELS, AlertEvent, AlertState
from lianfang.trace.periods import shown
from lianfang.trace.records.repository import RecordRepository
from lianfang.trace.scope import caller_scope

__all__ = ["AlertEvents", "AlertHandlingService"]

# Record ids per `IN (…)`.
_IN_CHUNK = 500


class AlertEvents:
    """All SQL on the alert steps (the trace store)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, record_id: uuid.UUID) -> list[AlertEvent]:
        statement = select(AlertEvent).where(AlertEvent.record_id == record_id).order_by(AlertEvent.id)
        return list(await self.session.scalars(statement))

    async def latest(self, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AlertEvent]:
        latest: dict[uuid.UUID, AlertEvent] = {}
        for start in range(0, len(record_ids), _IN_CHUNK):
            statement = (
                select(AlertEvent)
                .where(AlertEvent.record_id.in_(record_ids[start : start + _IN_CHUNK]))
                .order_by(AlertEvent.id)
            )
            latest.update((event.record_id, event) for event in await self.session.scalars(statement))
        return latest

    def add(self, event: AlertEvent) -> None:
        self.session.add(event)


class AlertHandlingService:
    def __init__(
        self, session: AsyncSession, records: AsyncSession, parts: TraceParts, caller: AdminPrincipal, token: str
    ) -> None:
        self.events = AlertEvents(session)
        self.records = RecordRepository(records)
        self.parts = parts
        self.caller = caller
        self.token = token

    async def _ensure_alert(self, record_id: uuid.UUID) -> None:
        scope = await caller_scope(self.caller, self.parts.directory, self.token)
        alert = await self.records.find(scope, record_id)
        if alert is None or alert.status != RecordStatus.abnormal:
            raise NotFound("异常记录不存在，或不在您的管辖范围内")

    async def history(self, record_id: uuid.UUID) -> AlertHandling:
        await self._ensure_alert(record_id)
        return await self._out(record_id, await self.events.of(record_id))

    async def handle(self, record_id: uuid.UUID, body: HandlingCreate) -> AlertHandling:
        await self._ensure_alert(record_id)
        event = AlertEvent(
            id=new_id(),
            record_id=record_id,
            state=body.state,
            note=body.note.strip() if body.note and body.note.strip() else None,
            actor_id=self.caller.id,
            actor_region_id=self.caller.region_id,
            actor_region_path=self.caller.region_path,
        )
        self.events.add(event)
        await self.events.session.flush()
        return await self._out(record_id, await self.events.of(record_id))

    async def _out(self, record_id: uuid.UUID, events: list[AlertEvent]) -> AlertHandling:
        names = await self.parts.directory.regions({event.actor_region_id for event in events}, self.token)
        steps = [step(event, names.get(event.actor_region_id)) for event in events]
        state = steps[-1].state if steps else AlertState.pending
        return AlertHandling(record_id=record_id, state=state, state_label=ALERT_STATE_LABELS[state], steps=steps)


def step(event: AlertEvent, region: RegionInfo | None) -> AlertStep:
    return AlertStep(
        state=event.state,
        state_label=ALERT_STATE_LABELS[event.state],
        note=event.note,
        at=shown(event.at),
        by_id=event.actor_id,
        by_region_name=region.name if region is not None else None,
    )
