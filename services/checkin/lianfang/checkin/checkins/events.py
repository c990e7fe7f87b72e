"""The `CheckinCreated` events of a check-in, personal data encrypted before anything leaves the process."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic_core import to_json

from lianfang.checkin.checkins.geo import Whereabouts
from lianfang.checkin.checkins.people import Measurement, Person
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import (
    CheckinCreated,
    Direction,
    PersonalData,
    RecordStatus,
    created_routing_key,
)
from lianfang.common.messaging import OutgoingMessage
from lianfang.common.pii import PiiCipher

__all__ = ["created_event", "encrypted_answers", "message_of", "personal_data"]


def personal_data(pii: PiiCipher, person: Person) -> PersonalData:
    name, phone, id_card = person.personal.name, person.personal.phone, person.personal.id_card
    hashes = (person.name_hash, person.phone_hash, person.id_card_hash)
    return PersonalData.sealed(pii, name=name, phone=phone, id_card=id_card, hashes=hashes)


def encrypted_answers(pii: PiiCipher, answers: object) -> str:
    # pydantic-core's encoder: compact UTF-8 like `json.dumps(…, ensure_ascii=False)`, in a third of the time.
    return pii.encrypt(to_json(answers).decode())


def created_event(
    *,
    record_id: uuid.UUID,
    client_key: uuid.UUID,
    checkpoint: CheckpointConfig,
    checked_at: datetime,
    resident_id: uuid.UUID | None,
    companion_of: uuid.UUID | None,
    entered_by: uuid.UUID | None,
    person: PersonalData,
    answers_encrypted: str,
    measurement: Measurement,
    direction: Direction,
    status: RecordStatus,
    whereabouts: Whereabouts,
    remind_checkout: bool,
) -> CheckinCreated:
    return CheckinCreated(
        id=record_id,
        client_key=client_key,
        city_code=checkpoint.city_code,
        checked_at=checked_at,
        checkpoint_id=checkpoint.id,
        checkpoint_kind=checkpoint.kind,
        region_id=checkpoint.region_id,
        ancestry=checkpoint.ancestry,
        resident_id=resident_id,
        companion_of=companion_of,
        entered_by=entered_by,
        person=person,
        answers_encrypted=answers_encrypted,
        template_id=checkpoint.template_id,
        template_version=checkpoint.template_version,
        temperature=measurement.value,
        temperature_source=measurement.source,
        temperature_measured_at=measurement.measured_at,
        direction=direction,
        status=status,
        distance_m=whereabouts.distance_m,
        outside_radius=whereabouts.outside_radius,
        distance_accuracy_m=whereabouts.accuracy_m if whereabouts.distance_m is not None else None,
        remote_scan=whereabouts.remote_scan,
        remind_checkout=remind_checkout,
    )


def message_of(event: CheckinCreated) -> OutgoingMessage:
    return OutgoingMessage(
        routing_key=created_routing_key(event.city_code),
        body=event.__pydantic_serializer__.to_json(event),
        message_id=str(event.id),
    )
