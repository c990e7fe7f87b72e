from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.errors import NotFound
from lianfang.trace.audit.service import AccessLog
from lianfang.trace.deps import TraceParts
from lianfang.trace.models import AccessAction
from lianfang.trace.people import Identity, identify
from lianfang.trace.periods import Period, resolve_period, shown
from lianfang.trace.records.repository import RecordRepository, RecordRow
from lianfang.trace.records.schemas import RecordOut, person_of
from lianfang.trace.scope import Scope, caller_scope
from lianfang.trace.trajectory.schemas import TrajectoryOut

__all__ = ["TrajectoryService"]


class TrajectoryService:
    def __init__(self, session: AsyncSession, parts: TraceParts, caller: AdminPrincipal, token: str) -> None:
        self.parts = parts
        self.caller = caller
        self.token = token
        self.records = RecordRepository(session)

    async def trajectory(
        self,
        *,
        phone: str | None,
        id_card: str | None,
        person_id: uuid.UUID | None,
        start: datetime | None,
        end: datetime | None,
        reason: str | None,
    ) -> TrajectoryOut:
        """The person's visits inside the caller's subtree, in time order; nobody found is an empty answer."""
        settings = self.parts.settings
        identity = identify(self.parts.pii, phone=phone, id_card=id_card, person_id=person_id)
        period = resolve_period(start, end, default_days=settings.lookback_days, max_days=settings.max_period_days)
        query: dict[str, object] = {
            identity.kind.value: identity.shown,
            "from": shown(period.start).isoformat(),
            "to": shown(period.end).isoformat(),
        }
        return await self._visits(identity, period, query, reason)

    async def of_alert(self, record_id: uuid.UUID, *, reason: str | None) -> TrajectoryOut:
        """The visits of the person behind an abnormal record, from `LIANFANG_LOOKBACK_DAYS` (14) days before it until
        now: a trajectory lookup like any other, logged as one."""
        settings = self.parts.settings
        alert = await self.records.find(await self._scope(), record_id)
        if alert is None or alert.status != RecordStatus.abnormal:
            raise NotFound("异常记录不存在，或不在您的管辖范围内")
        start = alert.checked_at - timedelta(days=settings.lookback_days)
        period = Period(start, min(datetime.now(UTC), start + timedelta(days=settings.max_period_days)))
        identity = alert.identity()
        query: dict[str, object] = {
            "alert_id": str(record_id),
            "from": shown(period.start).isoformat(),
            "to": shown(period.end).isoformat(),
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
        alone: RecordRow | None = None,
    ) -> TrajectoryOut:
        await AccessLog(self.parts.audit).record(
            self.caller, AccessAction.trajectory, query, subject=identity, reason=reason
        )
        if identity is None:
            return await self._out([alone] if alone else [], period, truncated=False)
        limit = self.parts.settings.trajectory_max_visits
        rows = await self.records.of_people(await self._scope(), [identity], period, limit=limit + 1)
        return await self._out(rows[:limit], period, truncated=len(rows) > limit)

    async def _scope(self) -> Scope:
        return await caller_scope(self.caller, self.parts.directory, self.token)

    async def _out(self, visits: list[RecordRow], period: Period, *, truncated: bool) -> TrajectoryOut:
        names = await self.parts.directory.checkpoints((row.checkpoint_id for row in visits), self.token)
        return TrajectoryOut(
            person=person_of(visits),
            visits=[RecordOut.of(row, names.get(row.checkpoint_id)) for row in visits],
            start=shown(period.start),
            end=shown(period.end),
            truncated=truncated,
        )
