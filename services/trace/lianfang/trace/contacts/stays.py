"""Stays and their overlaps: the arithmetic of contact screening, without SQL.

A stay runs from a check-in to the check-out that follows it at the same checkpoint (when it came within the longest
stay), or lasts the checkpoint kind's assumed duration, cut short by the same person's next check-in there. A check-out
without its check-in is a stay of the assumed duration ending at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lianfang.common.contracts.events import Direction
from lianfang.trace.records.repository import RecordRow

__all__ = ["Overlap", "People", "Stay", "overlap", "person_keys", "stays"]

_FALLBACK_KIND = "other"


def person_keys(row: RecordRow) -> tuple[str, ...]:
    """Who a record is about (DESIGN.md: their account, else their ID number, else their phone and name), as keys that
    other records of the same person share: the ID number and the resident's own account; failing both the phone with
    the name (a household shares a phone, its children do not share a name); the phone alone only on records stored
    before names were hashed; failing that, the record."""
    strong = []
    if row.id_card_hash:
        strong.append(f"id_card:{row.id_card_hash}")
    if row.resident_id is not None and row.companion_of is None:
        strong.append(f"person_id:{row.resident_id}")
    if strong:
        return tuple(strong)
    if row.phone_hash and row.name_hash:
        return (f"person:{row.phone_hash}:{row.name_hash}",)
    if row.phone_hash:
        return (f"phone:{row.phone_hash}",)
    return (f"record:{row.id}",)


class People:
    """Keys joined into people: a record with both an ID number and an account says they are one person."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def root(self, key: str) -> str:
        parent = self._parent.setdefault(key, key)
        while parent != key:
            # Path halving keeps the chains short.
            self._parent[key] = self._parent[parent]
            key, parent = parent, self._parent[parent]
        return key

    def add(self, keys: Iterable[str]) -> str:
        first, *rest = keys
        root = self.root(first)
        for key in rest:
            other = self.root(key)
            if other != root:
                self._parent[other] = root
        return root


@dataclass(frozen=True, slots=True)
class Stay:
    row: RecordRow
    keys: tuple[str, ...]
    start: datetime
    end: datetime
    # Only a check-out was recorded: the start is assumed.
    start_assumed: bool
    # No check-out: the end is assumed.
    end_assumed: bool

    @property
    def checkpoint_id(self) -> int:
        return self.row.checkpoint_id

    def touches(self, start: datetime, end: datetime) -> bool:
        return self.start <= end and self.end >= start


def _assumed(durations: Mapping[str, int], kind: str) -> timedelta:
    return timedelta(minutes=durations.get(kind, durations[_FALLBACK_KIND]))


def _stay(
    row: RecordRow,
    start: datetime,
    end: datetime,
    *,
    start_assumed: bool,
    end_assumed: bool,
    checkout: RecordRow | None = None,
) -> Stay:
    keys = person_keys(row)
    if checkout is not None:
        keys += tuple(key for key in person_keys(checkout) if key not in keys)
    return Stay(row, keys, start, end, start_assumed, end_assumed)


def _one_person_at_one_place(
    rows: Sequence[RecordRow], durations: Mapping[str, int], max_stay: timedelta
) -> Iterable[Stay]:
    waiting: RecordRow | None = None
    for row in rows:
        length = _assumed(durations, row.checkpoint_kind)
        if row.direction == Direction.exit.value:
            if waiting is not None and row.checked_at - waiting.checked_at <= max_stay:
                yield _stay(
                    waiting, waiting.checked_at, row.checked_at, start_assumed=False, end_assumed=False, checkout=row
                )
            else:
                if waiting is not None:
                    end = waiting.checked_at + _assumed(durations, waiting.checkpoint_kind)
                    yield _stay(waiting, waiting.checked_at, end, start_assumed=False, end_assumed=True)
                yield _stay(row, row.checked_at - length, row.checked_at, start_assumed=True, end_assumed=False)
            waiting = None
            continue
        if waiting is not None:
            end = min(waiting.checked_at + _assumed(durations, waiting.checkpoint_kind), row.checked_at)
            yield _stay(waiting, waiting.checked_at, end, start_assumed=False, end_assumed=True)
        waiting = row
    if waiting is not None:
        end = waiting.checked_at + _assumed(durations, waiting.checkpoint_kind)
        yield _stay(waiting, waiting.checked_at, end, start_assumed=False, end_assumed=True)


def stays(rows: Iterable[RecordRow], durations: Mapping[str, int], max_stay: timedelta) -> list[Stay]:
    """The stays of everyone in `rows` (oldest first), in order of their start."""
    rows = list(rows)
    people = People()
    for row in rows:
        people.add(person_keys(row))
    groups: dict[tuple[str, int], list[RecordRow]] = {}
    for row in rows:
        groups.setdefault((people.root(person_keys(row)[0]), row.checkpoint_id), []).append(row)
    found = [stay for group in groups.values() for stay in _one_person_at_one_place(group, durations, max_stay)]
    return sorted(found, key=lambda stay: (stay.start, stay.row.id))


@dataclass(frozen=True, slots=True)
class Overlap:
    index: Stay
    other: Stay
    # Minutes both were there; 0 when they only came within the window of each other.
    minutes: float
    # Minutes between the one leaving and the other arriving; 0 when they were there together.
    gap: float


def overlap(index: Stay, other: Stay, window: timedelta) -> Overlap | None:
    """`other` counts when its stay touches the index stay widened by `window` on both sides."""
    if index.checkpoint_id != other.checkpoint_id or not other.touches(index.start - window, index.end + window):
        return None
    together = (min(index.end, other.end) - max(index.start, other.start)).total_seconds() / 60
    return Overlap(index, other, max(together, 0.0), max(-together, 0.0))
