"""What a gate keeper's re-measure of a fever does (DESIGN.md, Rules of the domain; docs/DESIGN-NOTES.md, Check-in).

The later reading decides. Below the checkpoint's fever threshold the record passes (waits for the keeper's decision
where the checkpoint audits: the fever hid the audit, it did not replace it) and the marks this record's fever set are
lifted; at or above it the record stays abnormal, now confirmed by staff, and marks every identity of the person, as a
fever staff measured does. Either way staff measured it: it is the person's last temperature everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from lianfang.checkin.checkins.people import FeverMark, Measurement, has_fever, marked_by, role_of
from lianfang.checkin.checkins.schemas import CheckinRecord
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import RecordStatus

__all__ = ["MarkChanges", "candidates", "mark_changes", "remeasured_status"]


def remeasured_status(value: float, checkpoint: CheckpointConfig) -> RecordStatus:
    if has_fever(value, checkpoint):
        return RecordStatus.abnormal
    return RecordStatus.pending if checkpoint.requires_audit else RecordStatus.passed


def _made_by(value: float, measured_at: datetime) -> bytes:
    """How the marks of one reading begin (`FeverMark.encode`): its value and time name it."""
    return Measurement(value, measured_at).encode() + b"|"


@dataclass(frozen=True, slots=True)
class MarkChanges:
    """The person's last temperature, the marks to set and the keys whose marks to lift."""

    temperature: tuple[str, Measurement] | None
    marks: list[tuple[str, FeverMark]]
    lifted: list[str]


def candidates(before: CheckinRecord, own: list[str]) -> list[str]:
    """The keys that may hold a mark of this record: what its fever marked, and every identity (an earlier re-measure
    that confirmed the fever marked them all)."""
    role = role_of(resident_id=before.resident_id, companion_of=before.companion_of, entered_by=before.entered_by)
    marked, _ = marked_by(role, own)
    return list(dict.fromkeys([*marked, *own]))


def mark_changes(
    before: CheckinRecord, measurement: Measurement, *, confirmed: bool, own: list[str], held: Mapping[str, bytes]
) -> MarkChanges:
    """`own`: the person's identities, strongest first; `held`: the fever marks now under `candidates(before, own)`.
    A mark another fever of the person set since is left alone."""
    temperature = (own[0], measurement) if own else None
    if confirmed:
        mark = FeverMark(measurement.value, measurement.measured_at, before.checkpoint_name)
        return MarkChanges(temperature, [(identity, mark) for identity in own], [])
    made = [_made_by(before.temperature.value, before.temperature.measured_at)]
    if before.remeasure is not None:
        made.append(_made_by(before.remeasure.value, before.remeasure.measured_at))
    lifted = [key for key, raw in held.items() if raw.startswith(tuple(made))]
    return MarkChanges(temperature, [], lifted)
