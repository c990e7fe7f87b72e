"""Who is checking in, and the rules about them: whose temperature may be reused, who carries a fever mark, the status a
record gets and the warnings staff see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from lianfang.checkin.checkins.schemas import ArrivalWarning
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import RecordStatus, TemperatureSource
from lianfang.common.forms import PersonalData
from lianfang.common.pii import PiiCipher

__all__ = [
    "CHINA",
    "FeverMark",
    "Measurement",
    "Person",
    "has_fever",
    "identify",
    "reusable",
    "shown_time",
    "status_for",
    "warnings_for",
]

CHINA: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float
    measured_at: datetime
    source: TemperatureSource = TemperatureSource.measured

    def encode(self) -> bytes:
        return b"%.1f|%d" % (self.value, int(self.measured_at.timestamp() * 1000))

    @classmethod
    def decode(cls, raw: object) -> Measurement | None:
        if not isinstance(raw, bytes):
            return None
        value, _, millis = raw.partition(b"|")
        try:
            return cls(float(value), datetime.fromtimestamp(int(millis) / 1000, UTC))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class FeverMark:
    value: float
    measured_at: datetime
    checkpoint_name: str

    def encode(self) -> bytes:
        millis = int(self.measured_at.timestamp() * 1000)
        return b"%.1f|%d|%b" % (self.value, millis, self.checkpoint_name.encode())

    @classmethod
    def decode(cls, raw: object) -> FeverMark | None:
        if not isinstance(raw, bytes):
            return None
        parts = raw.split(b"|", 2)
        try:
            value, millis, name = float(parts[0]), int(parts[1]), parts[2].decode()
        except (ValueError, IndexError):
            return None
        return cls(value, datetime.fromtimestamp(millis / 1000, UTC), name)


@dataclass(frozen=True, slots=True)
class Person:
    """One person of a check-in: the resident, one of their companions, or a visitor staff entered by hand.

    A resident is their account. Anyone else is who their answers say: their ID number, or failing that their phone
    together with their name, since a child often gives a parent's phone. Only that identity may reuse a temperature;
    fever marks are kept under every identity (account, phone, ID number), so a fever in a household shows as a warning
    when someone sharing its phone arrives.
    """

    answers: dict[str, object]
    personal: PersonalData
    phone_hash: str | None
    id_card_hash: str | None
    temperature_identity: str | None
    fever_identities: tuple[str, ...]
    given_temperature: float | None
    # Where a missing temperature is reported: `temperature`, `companions.0.temperature`.
    temperature_field: str


def identify(
    pii: PiiCipher,
    answers: dict[str, object],
    personal: PersonalData,
    *,
    resident_id: uuid.UUID | None,
    temperature: float | None,
    temperature_field: str,
) -> Person:
    phone_hash = pii.search_hash(personal.phone) if personal.phone else None
    id_card_hash = pii.search_hash(personal.id_card) if personal.id_card else None
    fever: list[str] = []
    if resident_id is not None:
        own: str | None = f"resident:{resident_id}"
        fever.append(f"resident:{resident_id}")
    elif id_card_hash is not None:
        own = f"id_card:{id_card_hash}"
    elif personal.phone and personal.name:
        own = f"person:{pii.search_hash(f'{personal.phone} {personal.name}')}"
    else:
        own = None
    if id_card_hash is not None:
        fever.append(f"id_card:{id_card_hash}")
    if phone_hash is not None:
        fever.append(f"phone:{phone_hash}")
    return Person(
        answers=answers,
        personal=personal,
        phone_hash=phone_hash,
        id_card_hash=id_card_hash,
        temperature_identity=own,
        fever_identities=tuple(fever),
        given_temperature=temperature,
        temperature_field=temperature_field,
    )


def reusable(last: Measurement | None, checkpoint: CheckpointConfig, now: datetime) -> Measurement | None:
    """The last measurement, at any checkpoint, if it is younger than this checkpoint's `temp_valid_minutes`."""
    if last is None or checkpoint.temp_valid_minutes <= 0:
        return None
    if now - last.measured_at >= timedelta(minutes=checkpoint.temp_valid_minutes):
        return None
    return Measurement(last.value, last.measured_at, TemperatureSource.reused)


def has_fever(value: float, checkpoint: CheckpointConfig) -> bool:
    return round(value, 1) >= round(checkpoint.fever_threshold, 1)


def status_for(measurement: Measurement, checkpoint: CheckpointConfig, *, audited: bool) -> RecordStatus:
    """`audited`: staff entered the record themselves, so it needs nobody's approval."""
    if has_fever(measurement.value, checkpoint):
        return RecordStatus.abnormal
    if checkpoint.requires_audit and not audited:
        return RecordStatus.pending
    return RecordStatus.passed


def shown_time(moment: datetime) -> str:
    local = moment.astimezone(CHINA)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def warnings_for(
    measurement: Measurement, checkpoint: CheckpointConfig, marks: list[FeverMark]
) -> list[ArrivalWarning]:
    warnings: list[ArrivalWarning] = []
    if has_fever(measurement.value, checkpoint):
        message = f"体温 {measurement.value:.1f} ℃，达到发热标准（{checkpoint.fever_threshold:.1f} ℃）"
        warnings.append(ArrivalWarning(code="fever_now", message=message))
    if marks:
        latest = max(marks, key=lambda mark: mark.measured_at)
        message = (
            f"14 天内有体温异常记录：{shown_time(latest.measured_at)} 在{latest.checkpoint_name} {latest.value:.1f} ℃"
        )
        warnings.append(ArrivalWarning(code="recent_fever", message=message))
    return warnings
