from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.beijing import in_beijing
from lianfang.common.db import Database
from lianfang.trace.contacts.schemas import (
    ContactOut,
    ContactsOut,
    ContactsQuery,
    IndexOut,
    OverlapOut,
    SpanOut,
    StayOut,
)
from lianfang.trace.contacts.stays import Overlap, People, Stay, overlap, person_keys, stays
from lianfang.trace.deps import RecordsSession, RecordsStore, records_session
from lianfang.trace.directory import CheckpointInfo
from lianfang.trace.lookups import person_lookup
from lianfang.trace.models import AccessAction
from lianfang.trace.people import Identity, IdentityKind
from lianfang.trace.periods import Period
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.repository import RecordRepository, RecordRow
from lianfang.trace.records.schemas import PlaceOut, person_of, place_of
from lianfang.trace.scope import Scope
from lianfang.trace.unmask import person_in_full

__all__ = ["ContactService", "Contacts"]

# Records read around one group of stays at one checkpoint: a day of the busiest station, with room to spare.
_ROWS_PER_RANGE = 20_000
# Sessions that read those ranges side by side: the database works on several at once (most of a screening's time).
_RANGE_READERS = 4


@dataclass
class _Contact:
    id: str
    degree: Literal[1, 2]
    keys: set[str] = field(default_factory=set)
    overlaps: list[Overlap] = field(default_factory=list)
    via: set[str] = field(default_factory=set)

    @property
    def minutes(self) -> float:
        return sum(found.minutes for found in self.overlaps)

    @property
    def gap(self) -> float:
        return min(found.gap for found in self.overlaps)

    @property
    def exposed_at(self) -> datetime:
        return min(found.other.start for found in self.overlaps)

    def closeness(self) -> tuple[float, float, int, datetime]:
        return (-self.minutes, self.gap, -len(self.overlaps), self.exposed_at)


def _contact_id(root: str) -> str:
    # Stable for the same person across answers, and no keyed hash of a phone or ID number leaves the service.
    return hashlib.sha256(root.encode()).hexdigest()[:12]


def _merged(spans: Iterable[tuple[datetime, datetime, Stay]]) -> list[tuple[Period, list[Stay]]]:
    """Overlapping reading ranges joined, each with the stays it serves: one query per range."""
    merged: list[tuple[Period, list[Stay]]] = []
    for start, end, stay in sorted(spans, key=lambda span: span[0]):
        if merged and start <= merged[-1][0].end:
            period, served = merged[-1]
            merged[-1] = (Period(period.start, max(period.end, end)), [*served, stay])
        else:
            merged.append((Period(start, end), [stay]))
    return merged


def _round(minutes: float) -> float:
    return round(minutes, 1)


class ContactService:
    """Contact screening: everyone whose stay at a checkpoint touches one of the index person's stays there, widened by
    the window; each stay of the index person costs at most one range query on `(checkpoint_id, checked_at)`."""

    def __init__(self, session: AsyncSession, reader: Reader, records_store: Database) -> None:
        self.reader = reader
        self.records = RecordRepository(session)
        self.records_store = records_store
        self.scope = Scope.of_caller(reader.caller)
        self.durations = reader.settings.stay_for_kind()
        # A stay is at most this long, so records further than this from a window cannot touch it.
        self.horizon = timedelta(minutes=reader.settings.max_stay_minutes)
        self.truncated = False

    async def screen(self, body: ContactsQuery, *, printed: bool = False) -> ContactsOut:
        """`printed`: for a report, which the access log says."""
        reader = self.reader
        settings = reader.settings
        details = {"window_minutes": body.window_minutes, "second_degree": body.second_degree}
        lookup = person_lookup(
            body, AccessAction.contacts, settings=settings, pii=reader.pii, details=details, printed=printed
        )
        action, identity, period, query = lookup.action, lookup.identity, lookup.period, lookup.query
        await reader.log(action, query, subject=identity, reason=body.reason)
        self.scope = await reader.scope()
        window = timedelta(minutes=body.window_minutes)
        # Read beyond the period by the longest stay, so that stays crossing its edges find their check-in or check-out.
        limit = settings.trajectory_max_visits
        reach = Period(period.start - self.horizon, period.end + self.horizon)
        index_rows = await self.records.of_people(self.scope, [identity], reach, limit=limit + 1)
        self.truncated = len(index_rows) > limit
        index_rows = index_rows[:limit]
        index_stays = [
            stay
            for stay in stays(index_rows, self.durations, self.horizon)
            if stay.start < period.end and stay.end >= period.start
        ]
        excluded = {identity.subject, *(key for row in index_rows for key in person_keys(row))}
        first = self._people(await self._overlaps(index_stays, excluded, window), degree=1, via={})
        second: list[_Contact] | None = None
        if body.second_degree:
            second = await self._second_degree(first, period, excluded, window)
        most = settings.contacts_max
        self.truncated |= len(first) > most or (second is not None and len(second) > most)
        first, second = first[:most], None if second is None else second[:most]
        places = {stay.checkpoint_id for stay in index_stays} | {
            found.other.checkpoint_id for contact in [*first, *(second or [])] for found in contact.overlaps
        }
        names = await reader.checkpoints(places)
        return ContactsOut(
            index=IndexOut(
                person=person_of(index_rows),
                unmasked=await person_in_full(self.records, reader.pii, index_rows, reach) if body.unmask else None,
                stays=[self._stay_out(stay, names) for stay in index_stays],
            ),
            contacts=[self._contact_out(contact, names) for contact in first],
            second_degree=None if second is None else [self._contact_out(contact, names) for contact in second],
            window_minutes=body.window_minutes,
            start=in_beijing(period.start),
            end=in_beijing(period.end),
            truncated=self.truncated,
        )

    async def _overlaps(self, sources: Sequence[Stay], excluded: set[str], window: timedelta) -> list[Overlap]:
        """Everyone else's stays that touch one of `sources` widened by `window`."""
        reach = window + self.horizon
        by_place: dict[int, list[tuple[datetime, datetime, Stay]]] = {}
        for source in sources:
            by_place.setdefault(source.checkpoint_id, []).append((source.start - reach, source.end + reach, source))
        ranges = [
            (checkpoint_id, period, served)
            for checkpoint_id, spans in by_place.items()
            for period, served in _merged(spans)
        ]
        read = await self._at_checkpoints([(checkpoint_id, period) for checkpoint_id, period, _ in ranges])
        found: list[Overlap] = []
        for (_, _, served), rows in zip(ranges, read, strict=True):
            self.truncated |= len(rows) >= _ROWS_PER_RANGE
            others = [row for row in rows if excluded.isdisjoint(person_keys(row))]
            for other in stays(others, self.durations, self.horizon):
                found += filter(None, (overlap(source, other, window) for source in served))
        return found

    async def _at_checkpoints(self, ranges: Sequence[tuple[int, Period]]) -> list[list[RecordRow]]:
        """Everyone's records of each (checkpoint, period), read by a few sessions of their own side by side, each
        taking the next range when done with one."""
        read: list[list[RecordRow]] = [[] for _ in ranges]
        waiting = iter(enumerate(ranges))

        async def reader() -> None:
            async with records_session(self.records_store) as session:
                records = RecordRepository(session)
                for index, (checkpoint_id, period) in waiting:
                    read[index] = await records.at_checkpoint(self.scope, checkpoint_id, period, limit=_ROWS_PER_RANGE)

        await asyncio.gather(*(reader() for _ in range(min(_RANGE_READERS, len(ranges)))))
        return read

    def _people(self, overlaps: Sequence[Overlap], *, degree: Literal[1, 2], via: Mapping[Stay, str]) -> list[_Contact]:
        """Overlaps gathered by person, closest first."""
        people = People()
        for found in overlaps:
            people.add(found.other.keys)
        contacts: dict[str, _Contact] = {}
        for found in overlaps:
            root = people.root(found.other.keys[0])
            contact = contacts.setdefault(root, _Contact(_contact_id(root), degree))
            contact.keys.update(found.other.keys)
            contact.overlaps.append(found)
            if found.index in via:
                contact.via.add(via[found.index])
        for contact in contacts.values():
            contact.overlaps.sort(key=lambda found: (-found.minutes, found.gap, found.other.start))
        return sorted(contacts.values(), key=_Contact.closeness)

    async def _second_degree(
        self, first: Sequence[_Contact], period: Period, excluded: set[str], window: timedelta
    ) -> list[_Contact]:
        """The contacts of the closest first-degree contacts, at their stays from their first contact with the index
        person on: who they may have passed it on to."""
        sources = first[: self.reader.settings.second_degree_sources]
        owner: dict[str, _Contact] = {}
        identities: list[Identity] = []
        for contact in sources:
            for key in sorted(contact.keys):
                kind, _, value = key.partition(":")
                # Someone known by one anonymous record only has no other visits to follow.
                if kind != "record" and key not in owner:
                    owner[key] = contact
                    identities.append(Identity(IdentityKind(kind), value, shown=""))
        if not identities:
            return []
        earliest = min(contact.exposed_at for contact in owner.values())
        rows = await self.records.of_people(
            self.scope,
            identities,
            Period(earliest - self.horizon, period.end + self.horizon),
            limit=self.reader.settings.trajectory_max_visits * len(sources),
        )
        via: dict[Stay, str] = {}
        for stay in stays(rows, self.durations, self.horizon):
            source = next((owner[key] for key in stay.keys if key in owner), None)
            if source is not None and stay.end >= source.exposed_at and stay.start < period.end:
                via[stay] = source.id
        known = excluded | {key for contact in first for key in contact.keys}
        return self._people(await self._overlaps(list(via), known, window), degree=2, via=via)

    @staticmethod
    def _place(stay: Stay, names: Mapping[int, CheckpointInfo]) -> PlaceOut:
        return place_of(stay.checkpoint_id, stay.row.checkpoint_kind, stay.row.region_id, names.get(stay.checkpoint_id))

    def _stay_out(self, stay: Stay, names: Mapping[int, CheckpointInfo]) -> StayOut:
        return StayOut(**self._place(stay, names).model_dump(), **SpanOut.of(stay).model_dump())

    def _contact_out(self, contact: _Contact, names: Mapping[int, CheckpointInfo]) -> ContactOut:
        person = person_of(sorted((found.other.row for found in contact.overlaps), key=lambda row: row.checked_at))
        assert person is not None
        return ContactOut(
            id=contact.id,
            degree=contact.degree,
            person=person,
            minutes_together=_round(contact.minutes),
            gap_minutes=_round(contact.gap),
            overlaps=[
                OverlapOut(
                    **self._place(found.other, names).model_dump(),
                    their_stay=SpanOut.of(found.other),
                    index_stay=SpanOut.of(found.index),
                    minutes_together=_round(found.minutes),
                    gap_minutes=_round(found.gap),
                )
                for found in contact.overlaps
            ],
            via=sorted(contact.via),
        )


async def contact_service(
    reader: CurrentReader, session: RecordsSession, records_store: RecordsStore
) -> ContactService:
    return ContactService(session, reader, records_store)


Contacts = Annotated[ContactService, Depends(contact_service)]
