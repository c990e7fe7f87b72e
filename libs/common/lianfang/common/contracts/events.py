"""The check-in events on RabbitMQ (DESIGN.md, Events; the topology is `lianfang.common.messaging.topology`): what the check-in service publishes and the ingest worker stores.

Personal data travels encrypted (`PiiCipher`): the broker, its disk and its management UI never see a name, phone or ID
number in the clear. Every event carries `schema_version`; a consumer dead-letters a version it does not know.

A message body is one event (a JSON object), or several events of the message's routing key as a JSON array
(`batch_body`): the check-in service sends the events of one moment together, since the broker's cost is per message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from lianfang.common.pii import mask_id_card, mask_name, mask_phone

if TYPE_CHECKING:
    from lianfang.common.pii import PiiCipher

__all__ = [
    "STATUS_LABELS",
    "CheckinCreated",
    "CheckinDecided",
    "CheckinEvent",
    "Direction",
    "RecordStatus",
    "Remeasure",
    "TemperatureSource",
    "batch_body",
    "created_routing_key",
    "decided_routing_key",
]


class RecordStatus(StrEnum):
    passed = "passed"
    pending = "pending"
    rejected = "rejected"
    abnormal = "abnormal"


# What a person reads on a receipt, a staff list or an admin table.
STATUS_LABELS = {
    RecordStatus.passed: "准许通行",
    RecordStatus.pending: "待审核",
    RecordStatus.rejected: "未通过",
    RecordStatus.abnormal: "体温异常",
}


class TemperatureSource(StrEnum):
    measured = "measured"
    reused = "reused"


class Direction(StrEnum):
    entry = "in"
    exit = "out"


class Ancestry(BaseModel):
    """The ids of the checkpoint's region and of every region above it, one per level (None below its own level)."""

    province_id: int
    city_id: int | None = None
    county_id: int | None = None
    township_id: int | None = None
    unit_id: int | None = None


class PersonalData(BaseModel):
    """Encrypted values (`kid.base64`), keyed hashes for exact search, and the masked forms lists show."""

    name_encrypted: str | None = None
    # Optional within schema version 1: events published before it existed store no name hash.
    name_hash: str | None = None
    name_masked: str | None = None
    phone_encrypted: str | None = None
    phone_hash: str | None = None
    phone_masked: str | None = None
    id_card_encrypted: str | None = None
    id_card_hash: str | None = None
    id_card_masked: str | None = None

    @classmethod
    def sealed(
        cls,
        pii: PiiCipher,
        *,
        name: str | None,
        phone: str | None,
        id_card: str | None,
        hashes: tuple[str | None, str | None, str | None],
    ) -> PersonalData:
        """A person's name, phone and ID number encrypted and masked, beside their keyed hashes (`pii.search_hash` of
        each, in that order, made by the caller, who needs them for more than this)."""
        name_hash, phone_hash, id_card_hash = hashes
        return cls(
            name_encrypted=pii.encrypt(name) if name else None,
            name_hash=name_hash,
            name_masked=mask_name(name) if name else None,
            phone_encrypted=pii.encrypt(phone) if phone else None,
            phone_hash=phone_hash,
            phone_masked=mask_phone(phone) if phone else None,
            id_card_encrypted=pii.encrypt(id_card) if id_card else None,
            id_card_hash=id_card_hash,
            id_card_masked=mask_id_card(id_card) if id_card else None,
        )


class CheckinCreated(BaseModel):
    event: Literal["checkin.created"] = "checkin.created"
    schema_version: Literal[1] = 1
    id: uuid.UUID = Field(description="the record's id, a UUIDv7 made by the check-in service")
    # The store's second line of defence against a retried check-in: `client_key` is unique per city. It is the client's
    # `client_id`, or for a companion a UUIDv5 of it and the companion's place in the list.
    client_key: uuid.UUID
    city_code: str = Field(pattern=r"^\d{4}$")
    checked_at: AwareDatetime
    checkpoint_id: int
    checkpoint_kind: str
    region_id: int
    ancestry: Ancestry
    resident_id: uuid.UUID | None = Field(description="the account that checked in; None when staff entered it by hand")
    companion_of: uuid.UUID | None = None
    entered_by: uuid.UUID | None = Field(default=None, description="the staff member who entered it by hand")
    person: PersonalData
    answers_encrypted: str = Field(description="every answer of the form, as encrypted JSON")
    template_id: int
    template_version: int
    temperature: float | None
    temperature_source: TemperatureSource | None
    temperature_measured_at: AwareDatetime | None
    direction: Direction = Direction.entry
    status: RecordStatus
    # Optional within schema version 1. Where the resident was, never kept: only how far from the checkpoint, when they
    # shared their position; and whether the code was read from a picture (an album, a chat) instead of at the gate.
    distance_m: int | None = Field(default=None, ge=0)
    outside_radius: bool | None = None
    # How sure that distance is (the position's accuracy): staff are shown both.
    distance_accuracy_m: int | None = Field(default=None, ge=0)
    remote_scan: bool = False
    # The resident asked for a 离开提醒 at the end of their stay (on their own entry's record): the gate's state in Redis,
    # which schedules it, is rebuilt from the store with it.
    remind_checkout: bool = False


class Remeasure(BaseModel):
    """A fever taken again by a gate keeper: the record keeps its first reading and this one, and this one decides."""

    temperature: float = Field(ge=35.0, le=42.5, allow_inf_nan=False)
    measured_by: uuid.UUID
    measured_by_name: str | None = Field(default=None, max_length=64, description="the staff member's account name")
    measured_at: AwareDatetime


class CheckinDecided(BaseModel):
    """Staff approved or rejected a pending record, or took a fever again (`remeasure`, schema version 2); it may
    reach the worker before the record does.

    A re-measure below the fever threshold makes the record passed (pending where the checkpoint audits); at or above
    it, the record stays abnormal, now confirmed by staff. Plain decisions stay version 1, so a worker that knows only
    version 1 still stores them and dead-letters (never misreads) a re-measure."""

    event: Literal["checkin.decided"] = "checkin.decided"
    schema_version: Literal[1, 2] = 1
    record_id: uuid.UUID
    city_code: str = Field(pattern=r"^\d{4}$")
    checked_at: AwareDatetime = Field(description="the record's, so the store finds its partition")
    status: RecordStatus
    decided_by: uuid.UUID
    decided_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=200)
    remeasure: Remeasure | None = None

    @model_validator(mode="after")
    def _versioned(self) -> CheckinDecided:
        if (self.remeasure is not None) != (self.schema_version == 2):
            raise ValueError("a re-measure is schema version 2, and version 2 carries one")
        decided = (RecordStatus.passed, RecordStatus.rejected)
        if self.remeasure is None and self.status not in decided:
            raise ValueError("a decision without a re-measure approves or rejects")
        if self.remeasure is not None and self.status is RecordStatus.rejected:
            raise ValueError("a re-measure passes, keeps pending or confirms a fever; it rejects nobody")
        return self


CheckinEvent = Annotated[CheckinCreated | CheckinDecided, Field(discriminator="event")]


def batch_body(bodies: Sequence[bytes]) -> bytes:
    """The body of a message carrying several events: their JSON bodies as one array."""
    return b"[" + b",".join(bodies) + b"]"


def created_routing_key(city_code: str) -> str:
    return f"checkin.created.{city_code}"


def decided_routing_key(city_code: str) -> str:
    return f"checkin.decided.{city_code}"
