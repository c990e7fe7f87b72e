from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.errors import NotFound
from lianfang.trace.contacts.schemas import SpanOut
from lianfang.trace.contacts.stays import stays
from lianfang.trace.deps import RecordsSession
from lianfang.trace.lookups import person_lookup
from lianfang.trace.models import AccessAction
from lianfang.trace.people import Identity
from lianfang.trace.periods import Period
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.repository import RecordRepository, RecordRow
from lianfang.trace.records.schemas import RecordOut, person_of
from lianfang.trace.trajectory.schemas import TrajectoryOut, TrajectoryQuery
from lianfang.trace.unmask import person_in_full

__all__ = ["Trajectories", "TrajectoryService"]


class TrajectoryService:
    def __init__(self, session: AsyncSession, reader: Reader) -> None:
        self.reader = reader
        self.records = RecordRepository(session)

    async def trajectory(self, asked: TrajectoryQuery, *, printed: bool = False) -> TrajectoryOut:
        """The person's visits inside the caller's subtree, in time order; nobody found is an empty answer. `printed`:
        for a report, which the access log says."""
        reader = self.reader
        lookup = person_lookup(
            asked, AccessAction.trajectory, settings=reader.settings, pii=reader.pii, details={}, printed=printed
        )
        return await self._visits(
            lookup.identity, lookup.period, lookup.query, asked.reason, action=lookup.action, unmask=asked.unmask
        )

    async def of_alert(self, record_id: uuid.UUID, *, reason: str | None) -> TrajectoryOut:
        """The visits of the person behind an abnormal record, from `LIANFANG_LOOKBACK_DAYS` (14) days before it until
        now: a trajectory lookup like any other, logged as one."""
        settings = self.reader.settings
        alert = await self.records.find(await self.reader.scope(), record_id)
        if alert is None or alert.status != RecordStatus.abnormal:
            raise NotFound("异常记录不存在，或不在您的管辖范围内")
        start = alert.checked_at - timedelta(days=settings.lookback_days)
        period = Period(start, min(datetime.now(UTC), start + timedelta(days=settings.max_period_days)))
        identity = alert.identity()
        query: dict[str, object] = {
            "alert_id": str(record_id),
            "from": in_beijing(period.start).isoformat(),
            "to": in_beijing(period.end).isoformat(),
        }
        if identity is not None:
            query[identity.kind.value] = identity.shown
        # Nothing but the record itself names a companion checked in without phone or ID number.
        return await self._visits(identity, period, query, reason, alone=alert)

    async def _visits(
        self,
        identity: Identity | None,
        period: Period,
        query: dict[str, object],
        reason: str | None,
        *,
        action: AccessAction = AccessAction.trajectory,
        unmask: bool = False,
        alone: RecordRow | None = None,
    ) -> TrajectoryOut:
        reader = self.reader
        await reader.log(action, query, subject=identity, reason=reason)
        if identity is None:
            return await self._out([alone] if alone else [], period, truncated=False)
        limit = reader.settings.trajectory_max_visits
        rows = await self.records.of_people(await reader.scope(), [identity], period, limit=limit + 1)
        out = await self._out(rows[:limit], period, truncated=len(rows) > limit)
        if unmask:
            out.unmasked = await person_in_full(self.records, reader.pii, rows[:limit], period)
        return out

    async def _out(self, visits: list[RecordRow], period: Period, *, truncated: bool) -> TrajectoryOut:
        settings = self.reader.settings
        names = await self.reader.checkpoints(row.checkpoint_id for row in visits)
        return TrajectoryOut(
            person=person_of(visits),
            visits=[RecordOut.of(row, names.get(row.checkpoint_id)) for row in visits],
            stays=[
                SpanOut.of(stay)
                for stay in stays(visits, settings.stay_for_kind(), timedelta(minutes=settings.max_stay_minutes))
            ],
            start=in_beijing(period.start),
            end=in_beijing(period.end),
            truncated=truncated,
        )


async def trajectory_service(reader: CurrentReader, session: RecordsSession) -> TrajectoryService:
    return TrajectoryService(session, reader)


Trajectories = Annotated[TrajectoryService, Depends(trajectory_service)]
