from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.db import decode_cursor, encode_cursor
from lianfang.common.errors import ValidationFailed
from lianfang.trace.audit.service import AccessLog
from lianfang.trace.deps import TraceParts
from lianfang.trace.models import AccessAction
from lianfang.trace.people import Identity, identify, identify_name
from lianfang.trace.periods import resolve_period, shown
from lianfang.trace.records.repository import Keyset, RecordRepository, RecordRow
from lianfang.trace.records.schemas import RecordOut, RecordPage
from lianfang.trace.scope import scope_for

__all__ = ["RecordSearch", "RecordService"]


def _keyset(cursor: str) -> Keyset:
    try:
        at, *seen = decode_cursor(cursor)
        keyset = Keyset(datetime.fromisoformat(at), tuple(uuid.UUID(record_id) for record_id in seen))
    except (TypeError, ValueError) as error:
        raise ValidationFailed.field("cursor", "分页游标无效") from error
    if keyset.checked_at.tzinfo is None or not keyset.seen:
        raise ValidationFailed.field("cursor", "分页游标无效")
    return keyset


def _next_cursor(page: list[RecordRow], after: Keyset | None) -> str:
    oldest = page[-1].checked_at
    seen = [row.id for row in page if row.checked_at == oldest]
    if after is not None and after.checked_at == oldest:
        seen += after.seen
    return encode_cursor([oldest.isoformat(), *(str(record_id) for record_id in seen)])


@dataclass(frozen=True)
class RecordSearch:
    """The filters of `GET /api/trace/records` (and, later, of the export)."""

    region_id: int | None = None
    checkpoint_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: RecordStatus | None = None
    phone: str | None = None
    id_card: str | None = None
    name: str | None = None


class RecordService:
    def __init__(self, session: AsyncSession, parts: TraceParts, caller: AdminPrincipal, token: str) -> None:
        self.parts = parts
        self.caller = caller
        self.token = token
        self.records = RecordRepository(session)

    async def page(self, search: RecordSearch, *, cursor: str | None, limit: int) -> RecordPage:
        """Newest first: one page is one index range scan, plus the names of its checkpoints."""
        pii = self.parts.pii
        phone = identify(pii, phone=search.phone, id_card=None, person_id=None) if search.phone else None
        id_card = identify(pii, phone=None, id_card=search.id_card, person_id=None) if search.id_card else None
        name = identify_name(pii, search.name) if search.name else None
        settings = self.parts.settings
        period = resolve_period(
            search.start, search.end, default_days=settings.max_period_days, max_days=settings.max_period_days
        )
        scope = await scope_for(self.caller, search.region_id, self.parts.directory, self.token)
        after = _keyset(cursor) if cursor is not None else None
        if after is None and (phone or id_card or name):
            await self._log_person_search(scope.region_id, period.start, period.end, phone, id_card, name)
        rows = await self.records.newest_first(
            scope,
            period,
            checkpoint_id=search.checkpoint_id,
            status=search.status.value if search.status else None,
            phone_hash=phone.value if phone else None,
            id_card_hash=id_card.value if id_card else None,
            name_hash=name.value if name else None,
            after=after,
            limit=limit + 1,
        )
        page = rows[:limit]
        names = await self.parts.directory.checkpoints((row.checkpoint_id for row in page), self.token)
        next_cursor = _next_cursor(page, after) if len(rows) > limit else None
        return RecordPage(
            items=[RecordOut.of(row, names.get(row.checkpoint_id)) for row in page], next_cursor=next_cursor
        )

    async def _log_person_search(
        self, region_id: int, start: datetime, end: datetime, *people: Identity | None
    ) -> None:
        """A search by phone, ID number or name lists a person's visits as a trajectory does, so it is logged like one
        (its first page: the next pages show nothing more of who was asked for)."""
        query: dict[str, object] = {
            "region_id": region_id,
            "from": shown(start).isoformat(),
            "to": shown(end).isoformat(),
        }
        query |= {person.kind.value: person.shown for person in people if person}
        subject = next(person for person in people if person)
        await AccessLog(self.parts.audit).record(
            self.caller, AccessAction.person_search, query, subject=subject, reason=None
        )
