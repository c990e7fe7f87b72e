"""Handling fever alerts: 待处置 → 处置中 → 已处置, each step with a note, by whom (their region) and when."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import CurrentStaff, StaffPrincipal
from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.db import DbSession
from lianfang.common.errors import NotFound
from lianfang.common.ids import new_id
from lianfang.trace.alerts.schemas import (
    AlertHandling,
    AlertStep,
    GateReport,
    GateReported,
    GateReportList,
    GateReportSearch,
    HandlingCreate,
)
from lianfang.trace.deps import RecordsSession
from lianfang.trace.directory import RegionInfo
from lianfang.trace.models import ALERT_STATE_LABELS, AlertEvent, AlertState
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.repository import RecordRepository

__all__ = ["AlertEvents", "AlertHandlingService", "AlertHandlings", "GateReporting", "GateReports"]

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
    def __init__(self, session: AsyncSession, records: AsyncSession, reader: Reader) -> None:
        self.events = AlertEvents(session)
        self.records = RecordRepository(records)
        self.reader = reader

    async def _ensure_alert(self, record_id: uuid.UUID) -> None:
        alert = await self.records.find(await self.reader.scope(), record_id)
        if alert is None or alert.status != RecordStatus.abnormal:
            raise NotFound("异常记录不存在，或不在您的管辖范围内")

    async def history(self, record_id: uuid.UUID) -> AlertHandling:
        await self._ensure_alert(record_id)
        return await self._out(record_id, await self.events.of(record_id))

    async def handle(self, record_id: uuid.UUID, body: HandlingCreate) -> AlertHandling:
        await self._ensure_alert(record_id)
        caller = self.reader.caller
        event = AlertEvent(
            id=new_id(),
            record_id=record_id,
            state=body.state,
            note=body.note.strip() if body.note and body.note.strip() else None,
            actor_id=caller.id,
            actor_region_id=caller.region_id,
            actor_region_path=caller.region_path,
        )
        self.events.add(event)
        await self.events.session.flush()
        return await self._out(record_id, await self.events.of(record_id))

    async def _out(self, record_id: uuid.UUID, events: list[AlertEvent]) -> AlertHandling:
        reader = self.reader
        names = await reader.directory.regions({event.actor_region_id for event in events}, reader.token)
        return handling_of(record_id, events, names)


class GateReports:
    """处置 from the staff board: the gate keeper's step in a fever alert of their own checkpoint (处置中, with what
    they did), which the region's admins see in their alerts."""

    def __init__(self, session: AsyncSession, records: AsyncSession, caller: StaffPrincipal) -> None:
        self.events = AlertEvents(session)
        self.records = RecordRepository(records)
        self.caller = caller

    async def report(self, record_id: uuid.UUID, body: GateReport) -> AlertHandling:
        found = await self.records.find_at(self.caller.checkpoint_ids, record_id)
        if found is None or found.status != RecordStatus.abnormal:
            # Also a fever checked in a moment ago, which the records store has not taken yet.
            raise NotFound("未找到您执勤卡口的这条体温异常记录；刚登记的记录需几秒入库，请稍后再试")
        self.events.add(
            AlertEvent(
                id=new_id(),
                record_id=record_id,
                state=AlertState.handling,
                note=body.note.strip(),
                actor_id=self.caller.id,
                actor_region_id=self.caller.region_id,
                actor_region_path=self.caller.region_path,
            )
        )
        await self.events.session.flush()
        # The registry names regions to admins only: the gate keeper's answer leaves the names out.
        return handling_of(record_id, await self.events.of(record_id), {})

    async def search(self, body: GateReportSearch) -> GateReportList:
        """Which of these records of the caller's checkpoints were sent to the alerts, as each one's handling stands:
        what the staff board shows again after a reload, a reconnect or on another device."""
        if not self.caller.checkpoint_ids or not body.record_ids:
            return GateReportList(items=[])
        own = await self.records.ids_at(self.caller.checkpoint_ids, body.record_ids)
        latest = await self.events.latest(own)
        return GateReportList(
            items=[
                GateReported(
                    record_id=record_id,
                    state=event.state,
                    state_label=ALERT_STATE_LABELS[event.state],
                    note=event.note,
                    at=in_beijing(event.at),
                )
                for record_id, event in latest.items()
            ]
        )


def handling_of(record_id: uuid.UUID, events: list[AlertEvent], names: Mapping[int, RegionInfo]) -> AlertHandling:
    steps = [step(event, names.get(event.actor_region_id)) for event in events]
    state = steps[-1].state if steps else AlertState.pending
    return AlertHandling(record_id=record_id, state=state, state_label=ALERT_STATE_LABELS[state], steps=steps)


def step(event: AlertEvent, region: RegionInfo | None) -> AlertStep:
    return AlertStep(
        state=event.state,
        state_label=ALERT_STATE_LABELS[event.state],
        note=event.note,
        at=in_beijing(event.at),
        by_id=event.actor_id,
        by_region_name=region.name if region is not None else None,
    )


# The records session first, as the routes took them: the access log's session commits, then the read one ends.
async def alert_handling_service(
    reader: CurrentReader, records: RecordsSession, session: DbSession
) -> AlertHandlingService:
    return AlertHandlingService(session, records, reader)


AlertHandlings = Annotated[AlertHandlingService, Depends(alert_handling_service)]


async def gate_reports(staff: CurrentStaff, records: RecordsSession, session: DbSession) -> GateReports:
    return GateReports(session, records, staff)


GateReporting = Annotated[GateReports, Depends(gate_reports)]
