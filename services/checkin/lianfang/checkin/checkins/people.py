"""Who is checking in, and the rules about them: whose temperature may be reused, who carries a fever mark, the status a
record gets and the warnings staff see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from lianfang.checkin.checkins.schemas import ArrivalWarning
from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import RecordStatus, TemperatureSource
from lianfang.common.forms import PersonalData
from lianfang.common.pii import PiiCipher

__all__ = [
    "FeverMark",
    "Measurement",
    "Person",
    "Role",
    "declared",
    "fever_now",
    "has_fever",
    "identify",
    "identities",
    "marked_by",
    "reusable",
    "role_of",
    "shown_time",
    "status_for",
    "warnings_for",
]


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
    # Masked name and phone of the resident who declared this fever for a companion; None when the person's own account
    # recorded it or staff measured it.
    declared_by: str | None = None

    def encode(self) -> bytes:
        millis = int(self.measured_at.timestamp() * 1000)
        declared = (self.declared_by or "").replace("|", " ").encode()
        return b"%.1f|%d|%b|%b" % (self.value, millis, declared, self.checkpoint_name.encode())

    @classmethod
    def decode(cls, raw: object) -> FeverMark | None:
        if not isinstance(raw, bytes):
            return None
        parts = raw.split(b"|", 3)
        if len(parts) == 3:
            # Written before declarations were kept: `<value>|<ms>|<checkpoint name>`.
            parts.insert(2, b"")
        try:
            value, millis, declared, name = float(parts[0]), int(parts[1]), parts[2].decode(), parts[3].decode()
        except (ValueError, IndexError):
            return None
        return cls(value, datetime.fromtimestamp(millis / 1000, UTC), name, declared or None)


class Role(StrEnum):
    """How a person came to be recorded, which decides what their fever marks and whose marks they see."""

    # The resident checking in on their own account.
    resident = "resident"
    # Someone a resident checks in along with them: their answers are the resident's word.
    companion = "companion"
    # A visitor staff entered by hand, with the temperature staff measured.
    visitor = "visitor"


@dataclass(frozen=True, slots=True)
class Person:
    """One person of a check-in: the resident, one of their companions, or a visitor staff entered by hand.

    Who a person is, everywhere (DESIGN.md, Rules of the domain): their account; else their ID number; else their phone
    and name together, since children often give a parent's phone. That identity reuses temperatures.

    Fever marks (`marks`) and the marks a person's arrival looks at (`watched`): a fever on a resident's own account
    marks the account; a fever staff measured marks the visitor's ID number and phone-and-name, so it warns wherever
    that person shows up; a fever a resident declares for a companion marks the companion only as declared by that
    resident (`declared:` keys), which staff see with the declarer's name on the companion's later arrivals and never
    on anyone's own check-ins: typing another person's phone or ID number warns nobody about them.
    """

    role: Role
    answers: dict[str, object]
    personal: PersonalData
    # Keyed hashes of the name, phone and ID number (`PiiCipher.search_hash`), made once for identities and the event.
    name_hash: str | None
    phone_hash: str | None
    id_card_hash: str | None
    temperature_identity: str | None
    # The person's identities, strongest first (`identities`): what a fever staff confirm marks.
    own: tuple[str, ...]
    # Keys of the marks this person's fever sets.
    marks: tuple[str, ...]
    # Keys of the marks shown to staff when this person arrives.
    watched: tuple[str, ...]
    given_temperature: float | None
    # Where a missing temperature is reported: `temperature`, `companions.0.temperature`.
    temperature_field: str


def identities(
    *, resident_id: uuid.UUID | None, id_card_hash: str | None, phone_hash: str | None, name_hash: str | None
) -> list[str]:
    """A person's identity keys, the strongest first: account, ID number, phone and name."""
    found = []
    if resident_id is not None:
        found.append(f"resident:{resident_id}")
    if id_card_hash is not None:
        found.append(f"id_card:{id_card_hash}")
    if phone_hash is not None and name_hash is not None:
        found.append(f"person:{phone_hash}:{name_hash}")
    return found


def role_of(*, resident_id: uuid.UUID | None, companion_of: uuid.UUID | None, entered_by: uuid.UUID | None) -> Role:
    """A record's person as check-in knew them."""
    if entered_by is not None:
        return Role.visitor
    if companion_of is not None or resident_id is None:
        return Role.companion
    return Role.resident


def marked_by(role: Role, own: list[str]) -> tuple[list[str], list[str]]:
    """The keys a fever of this person marks and the keys whose marks staff see on their arrival (`Person`)."""
    if role is Role.resident:
        # The account alone: what a resident types about themselves is their word, not a verified identity.
        return own[:1], own
    if role is Role.visitor:
        return own, own
    return [declared(identity) for identity in own], own + [declared(identity) for identity in own]


def declared(identity: str) -> str:
    """The key of a fever a resident declared for a companion known by `identity`."""
    return f"declared:{identity}"


def identify(
    pii: PiiCipher,
    answers: dict[str, object],
    personal: PersonalData,
    *,
    role: Role,
    resident_id: uuid.UUID | None,
    temperature: float | None,
    temperature_field: str,
) -> Person:
    phone_hash = pii.search_hash(personal.phone) if personal.phone else None
    id_card_hash = pii.search_hash(personal.id_card) if personal.id_card else None
    name_hash = pii.search_hash(personal.name) if personal.name else None
    own = identities(
        resident_id=resident_id if role is Role.resident else None,
        id_card_hash=id_card_hash,
        phone_hash=phone_hash,
        name_hash=name_hash,
    )
    marks, watched = marked_by(role, own)
    return Person(
        role=role,
        answers=answers,
        personal=personal,
        name_hash=name_hash,
        phone_hash=phone_hash,
        id_card_hash=id_card_hash,
        temperature_identity=own[0] if own else None,
        own=tuple(own),
        marks=tuple(marks),
        watched=tuple(watched),
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
    local = in_beijing(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def fever_now(value: float, checkpoint: CheckpointConfig) -> list[ArrivalWarning]:
    """The warning of a temperature that is a fever here, if it is one."""
    if not has_fever(value, checkpoint):
        return []
    message = f"体温 {value:.1f} ℃，达到发热标准（{checkpoint.fever_threshold:.1f} ℃）"
    return [ArrivalWarning(code="fever_now", message=message)]


def warnings_for(
    measurement: Measurement, checkpoint: CheckpointConfig, marks: list[FeverMark]
) -> list[ArrivalWarning]:
    warnings = fever_now(measurement.value, checkpoint)
    if marks:
        latest = max(marks, key=lambda mark: mark.measured_at)
        message = (
            f"14 天内有体温异常记录：{shown_time(latest.measured_at)} 在{latest.checkpoint_name} {latest.value:.1f} ℃"
        )
        if latest.declared_by:
            message += f"（由{latest.declared_by}作为同行人员申报）"
        warnings.append(ArrivalWarning(code="recent_fever", message=message))
    return warnings
