"""A staff decision as the worker keeps it: the latest wins, and it carries the latest re-measure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from lianfang.common.contracts.events import CheckinDecided
from lianfang.ingest.rows import REMEASURE_COLUMNS, RecordKey

__all__ = ["Decision", "Remeasured", "newest_decisions"]


@dataclass(frozen=True, slots=True)
class Remeasured:
    temperature: float
    by: uuid.UUID
    by_name: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    status: str
    decided_by: uuid.UUID
    decided_at: datetime
    reason: str | None
    remeasure: Remeasured | None = None

    @classmethod
    def of(cls, event: CheckinDecided) -> Decision:
        remeasure = event.remeasure
        return cls(
            event.status.value,
            event.decided_by,
            event.decided_at,
            event.reason,
            None
            if remeasure is None
            # One decimal, as the column keeps it (see `record_row`).
            else Remeasured(
                round(remeasure.temperature, 1),
                remeasure.measured_by,
                remeasure.measured_by_name,
                remeasure.measured_at,
            ),
        )

    @classmethod
    def waiting(cls, row: Row[Any]) -> Decision:
        """A decision kept in `pending_decisions`."""
        remeasure = None
        if row.remeasured_temperature is not None:
            remeasure = Remeasured(
                row.remeasured_temperature, row.remeasured_by, row.remeasured_by_name, row.remeasured_at
            )
        return cls(row.status, row.decided_by, row.decided_at, row.reason, remeasure)

    def supersedes(self, decided_at: datetime | None) -> bool:
        """Staff may change their mind: the latest decision wins, whatever order the events arrive in."""
        return decided_at is None or self.decided_at > decided_at

    def with_earlier(self, other: Decision | None) -> Decision:
        """The later of two decisions on one record, carrying the later of their re-measures: a gate keeper approves
        after a re-measure, and the approval must not forget the temperature taken."""
        if other is None:
            return self
        later = self if self.supersedes(other.decided_at) else other
        taken = [remeasure for remeasure in (self.remeasure, other.remeasure) if remeasure is not None]
        return replace(later, remeasure=max(taken, key=lambda remeasure: remeasure.at, default=None))

    def _remeasure_columns(self, prefix: str = "") -> dict[str, Any]:
        """The re-measure's columns (None without one: the UPDATEs keep what a row has then)."""
        remeasure = self.remeasure
        values = (
            (None,) * 4 if remeasure is None else (remeasure.temperature, remeasure.by, remeasure.by_name, remeasure.at)
        )
        return {f"{prefix}{name}": value for name, value in zip(REMEASURE_COLUMNS, values, strict=True)}

    def columns(self, prefix: str = "", *, reason: str = "reason") -> dict[str, Any]:
        """The decision's columns, or its statement's parameters with `prefix`; `reason` names the reason's column."""
        return {
            f"{prefix}status": self.status,
            f"{prefix}decided_by": self.decided_by,
            f"{prefix}decided_at": self.decided_at,
            f"{prefix}{reason}": self.reason,
            **self._remeasure_columns(prefix),
        }


def newest_decisions(events: Iterable[CheckinDecided]) -> dict[RecordKey, Decision]:
    """The decision per record that wins among these events."""
    newest: dict[RecordKey, Decision] = {}
    for event in events:
        key = (event.city_code, event.record_id)
        newest[key] = Decision.of(event).with_earlier(newest.get(key))
    return newest
