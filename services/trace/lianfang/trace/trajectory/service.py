from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.trace.audit.service import AccessLog
from lianfang.trace.deps import TraceParts
from lianfang.trace.models import AccessAction
from lianfang.trace.people import identify
from lianfang.trace.periods import resolve_period, shown
from lianfang.trace.records.repository import RecordRepository
from lianfang.trace.records.schemas import RecordOut, person_of
from lianfang.trace.scope import Scope
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
        query = {
            identity.kind.value: identity.shown,
            "from": shown(period.start).isoformat(),
            "to": shown(period.end).isoformat(),
        }
        await AccessLog(self.parts.audit).record(
            self.caller, AccessAction.trajectory, query, subject=identity, reason=reason
        )
        limit = settings.trajectory_max_visits
        rows = await self.records.of_people(Scope.of_caller(self.caller), [identity], period, limit=limit + 1)
        visits = rows[:limit]
        names = await self.parts.directory.checkpoints((row.checkpoint_id for row in visits), self.token)
        return TrajectoryOut(
            person=person_of(visits),
            visits=[RecordOut.of(row, names.get(row.checkpoint_id)) for row in visits],
            start=shown(period.start),
            end=shown(period.end),
            truncated=len(rows) > limit,
        )
