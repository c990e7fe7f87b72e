from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal
from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.events import RecordStatus
from lianfang.common.db import Database, decode_cursor, encode_cursor
from lianfang.common.errors import ValidationFailed
from lianfang.common.pii import PiiCipher
from lianfang.trace.deps import RecordsSession, RecordsStore, records_session
from lianfang.trace.directory import CheckpointInfo
from lianfang.trace.models import AccessAction
from lianfang.trace.people import Identity, identify, identify_name
from lianfang.trace.periods import Period, resolve_period
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.repository import Keyset, Narrowing, RecordRepository, RecordRow
from lianfang.trace.records.schemas import TOTAL_CAP, RecordOut, RecordPage, RecordTotal
from lianfang.trace.scope import Scope

__all__ = ["RecordFilter", "RecordSearch", "RecordService", "Records", "newest_first", "next_keyset", "resolve_search"]


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed.field("cursor", "分页游标无效")


def _bound(caller: AdminPrincipal, search: RecordSearch, payload: str) -> bytes:
    """What a cursor's seal covers: the page position, the caller's scope and the search as asked, so a cursor works only
    for the search whose first page made it, and nobody can make one up."""
    asked = json.dumps([caller.region_path, *astuple(search)], default=str, ensure_ascii=False)
    return f"{asked}\n{payload}".encode()


def _keyset(pii: PiiCipher, caller: AdminPrincipal, search: RecordSearch, cursor: str) -> Keyset:
    payload, _, tag = cursor.rpartition(".")
    if not payload or not pii.sealed(_bound(caller, search, payload), tag):
        raise _invalid_cursor()
    try:
        at, *seen = decode_cursor(payload)
        keyset = Keyset(datetime.fromisoformat(at), tuple(uuid.UUID(record_id) for record_id in seen))
    except (TypeError, ValueError, AttributeError) as error:
        raise _invalid_cursor() from error
    if keyset.checked_at.tzinfo is None or not keyset.seen:
        raise _invalid_cursor()
    return keyset


def _cursor(pii: PiiCipher, caller: AdminPrincipal, search: RecordSearch, keyset: Keyset) -> str:
    payload = encode_cursor([keyset.checked_at.isoformat(), *(str(record_id) for record_id in keyset.seen)])
    return f"{payload}.{pii.seal(_bound(caller, search, payload))}"


@dataclass(frozen=True)
class RecordSearch:
    """The filters of `GET /api/trace/records`, of the alerts and of the export."""

    region_id: int | None = None
    checkpoint_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: RecordStatus | None = None
    phone: str | None = None
    id_card: str | None = None
    name: str | None = None
    outside_radius: bool | None = None


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """A search checked and resolved: the scope it reads, its period, and the people asked for by keyed hash."""

    scope: Scope
    period: Period
    checkpoint_id: int | None
    status: RecordStatus | None
    phone: Identity | None
    id_card: Identity | None
    name: Identity | None = None
    outside_radius: bool | None = None

    @property
    def person(self) -> Identity | None:
        return self.phone or self.id_card or self.name

    def narrowing(self) -> Narrowing:
        """The filter's conditions besides scope and period, as the repository takes them."""
        return Narrowing(
            checkpoint_id=self.checkpoint_id,
            status=self.status.value if self.status else None,
            phone_hash=self.phone.value if self.phone else None,
            id_card_hash=self.id_card.value if self.id_card else None,
            name_hash=self.name.value if self.name else None,
            outside_radius=self.outside_radius,
        )

    def query(self) -> dict[str, object]:
        """The filter as the access log keeps it: personal data masked."""
        query: dict[str, object] = {
            "region_id": self.scope.region_id,
            "from": in_beijing(self.period.start).isoformat(),
            "to": in_beijing(self.period.end).isoformat(),
        }
        if self.checkpoint_id is not None:
            query["checkpoint_id"] = self.checkpoint_id
        if self.status is not None:
            query["status"] = self.status.value
        if self.outside_radius is not None:
            query["outside_radius"] = self.outside_radius
        people = (self.phone, self.id_card, self.name)
        return query | {person.kind.value: person.shown for person in people if person}


async def resolve_search(search: RecordSearch, reader: Reader) -> RecordFilter:
    """Checks a search (422 on the field at fault, 403 for a region outside the caller's scope) and resolves it."""
    pii, settings = reader.pii, reader.settings
    phone = identify(pii, phone=search.phone, id_card=None, person_id=None) if search.phone else None
    id_card = identify(pii, phone=None, id_card=search.id_card, person_id=None) if search.id_card else None
    name = identify_name(pii, search.name) if search.name else None
    period = resolve_period(
        search.start, search.end, default_days=settings.max_period_days, max_days=settings.max_period_days
    )
    scope = await reader.scope(search.region_id)
    return RecordFilter(scope, period, search.checkpoint_id, search.status, phone, id_card, name, search.outside_radius)


async def newest_first(
    records: RecordRepository, found: RecordFilter, *, after: Keyset | None, limit: int
) -> list[RecordRow]:
    return await records.newest_first(found.scope, found.period, found.narrowing(), after=after, limit=limit)


def next_keyset(page: list[RecordRow], after: Keyset | None) -> Keyset:
    """Where the next page starts: after the page's oldest instant, skipping the records of it already shown."""
    oldest = page[-1].checked_at
    seen = [row.id for row in page if row.checked_at == oldest]
    if after is not None and after.checked_at == oldest:
        seen += after.seen
    return Keyset(oldest, tuple(seen))


class RecordService:
    def __init__(self, session: AsyncSession, reader: Reader, records_store: Database) -> None:
        self.reader = reader
        self.records = RecordRepository(session)
        self.records_store = records_store

    async def page(
        self, search: RecordSearch, *, cursor: str | None, limit: int, with_total: bool = True
    ) -> RecordPage:
        """Newest first: one page is one index range scan, plus the names of its checkpoints; beside them, the first
        page's capped count."""
        reader = self.reader
        pii, caller = reader.pii, reader.caller
        after = _keyset(pii, caller, search, cursor) if cursor is not None else None
        found = await resolve_search(search, reader)
        if found.person:
            # A search by phone, ID number or name lists a person's visits as a trajectory does, so it is logged like one:
            # every page, since each shows more of that person's visits.
            await reader.log(AccessAction.person_search, found.query(), subject=found.person, reason=None)
        read = self._newest_named(found, after, limit)
        total = None
        if after is None and with_total:
            # The first page only (later pages keep the search): one more count, bounded, of the same range.
            (rows, names), total = await asyncio.gather(read, self._total(found))
        else:
            rows, names = await read
        page = rows[:limit]
        next_cursor = _cursor(pii, caller, search, next_keyset(page, after)) if len(rows) > limit else None
        return RecordPage(
            items=[RecordOut.of(row, names.get(row.checkpoint_id)) for row in page],
            next_cursor=next_cursor,
            total=total,
        )

    async def _newest_named(
        self, found: RecordFilter, after: Keyset | None, limit: int
    ) -> tuple[list[RecordRow], dict[int, CheckpointInfo]]:
        """A page's records newest first, and one more if there is one (a next page follows), with the names of the
        page's checkpoints."""
        rows = await newest_first(self.records, found, after=after, limit=limit + 1)
        return rows, await self.reader.checkpoints(row.checkpoint_id for row in rows[:limit])

    async def _total(self, found: RecordFilter) -> RecordTotal:
        """Counted in a session of its own, beside the page's query and its checkpoints' names: the first page answers in
        the longer of the two, not in their sum. Through the shards' front the capped count is the slower: it reads up
        to the cap from every shard. Its snapshot may be a moment apart from the page's, as any count of records still
        arriving is."""
        async with records_session(self.records_store) as session:
            counted = await RecordRepository(session).count_upto(
                found.scope, found.period, found.narrowing(), cap=TOTAL_CAP + 1
            )
        return RecordTotal(count=min(counted, TOTAL_CAP), more=counted > TOTAL_CAP)


async def record_service(reader: CurrentReader, session: RecordsSession, records_store: RecordsStore) -> RecordService:
    return RecordService(session, reader, records_store)


Records = Annotated[RecordService, Depends(record_service)]
