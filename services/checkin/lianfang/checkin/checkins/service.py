from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import Depends

from lianfang.checkin.checkins.cards import card_holder
from lianfang.checkin.checkins.events import created_event, encrypted_answers, message_of, personal_data
from lianfang.checkin.checkins.geo import Whereabouts, place_warnings, whereabouts
from lianfang.checkin.checkins.people import (
    FeverMark,
    Measurement,
    Person,
    Role,
    has_fever,
    identify,
    reusable,
    status_for,
    warnings_for,
)
from lianfang.checkin.checkins.repository import Attempt, CheckinRepository, CheckinWrite, Claim
from lianfang.checkin.checkins.schemas import (
    ArrivalWarning,
    CheckinCreate,
    CheckinHistory,
    CheckinReceipt,
    CheckinRecord,
    CheckinSummary,
    CheckoutCreate,
    CheckoutReminderDue,
    CheckpointRef,
    HandEntryCreate,
    OpenStay,
    StayPerson,
    TemperatureOut,
)
from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.errors import (
    CheckinInProgress,
    CheckpointClosed,
    ClientIdTaken,
    NotCheckedIn,
    NotOnDuty,
    StateUnavailable,
)
from lianfang.checkin.metrics import checkin_metrics
from lianfang.checkin.publisher import EventPublisher
from lianfang.common.auth import ResidentPrincipal, StaffPrincipal
from lianfang.common.beijing import in_beijing
from lianfang.common.cards import PersonalCards, visitor_details
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import STATUS_LABELS, Direction, PersonalData, RecordStatus, TemperatureSource
from lianfang.common.errors import AppError, FieldError, ValidationFailed
from lianfang.common.forms import FieldType, FormDefinition
from lianfang.common.forms.answers import is_blank
from lianfang.common.ids import derived_id
from lianfang.common.messaging import OutgoingMessage
from lianfang.common.pii import PiiCipher
from lianfang.common.state import app_state

__all__ = ["CheckinService", "Checkins", "Submitted", "live_event"]

# How often a retry polls for the receipt of its first attempt, still in flight.
_DUPLICATE_POLL_SECONDS: Final = 0.02


@dataclass(frozen=True, slots=True)
class Submitted:
    receipt: bytes
    # The receipt of an earlier request with the same client id.
    replayed: bool


@dataclass(frozen=True, slots=True)
class _Arrival:
    client_id: uuid.UUID
    checkpoint: CheckpointConfig
    # The first is the one checking in; the others are their companions.
    people: Sequence[Person]
    resident_id: uuid.UUID | None
    entered_by: uuid.UUID | None
    direction: Direction
    # Companions were where the resident was.
    whereabouts: Whereabouts = field(default_factory=Whereabouts)
    # A check-out: the stay it closes, whose people it records again.
    leaving: OpenStay | None = None
    # The resident subscribed to the 离开提醒 of the stay this check-in opens.
    remind_checkout: bool = False

    @property
    def owner(self) -> uuid.UUID:
        """Whose check-in this is: the only one its receipt is replayed to."""
        owner = self.resident_id or self.entered_by
        assert owner is not None
        return owner


def live_event(kind: str, payload: bytes, event_id: uuid.UUID) -> bytes:
    """A complete server-sent event; compact JSON holds no line breaks, so one `data:` line carries it. An arrival's
    id is its record's (a record arrives once), a decision's a new one: time-ordered either way."""
    return b"id: %s\nevent: %s\ndata: %b\n\n" % (str(event_id).encode(), kind.encode(), payload)


class CheckinService:
    def __init__(
        self,
        *,
        checkpoints: CheckpointConfigs,
        repository: CheckinRepository,
        publisher: EventPublisher,
        pii: PiiCipher,
        cards: PersonalCards,
        duplicate_wait_seconds: float,
        stay_minutes: Mapping[str, int],
    ) -> None:
        self._cards = cards
        self._stay_minutes = stay_minutes
        self._checkpoints = checkpoints
        self._repository = repository
        self._publisher = publisher
        self._pii = pii
        self._duplicate_wait_seconds = duplicate_wait_seconds

    async def replay(self, client_id: uuid.UUID, owner: uuid.UUID) -> Submitted | None:
        """The first receipt of a client id, for its owner's retry whose body no longer even parses."""
        replayed = await self._repository.replay(client_id, owner)
        return Submitted(replayed, replayed=True) if replayed is not None else None

    async def submit(self, resident: ResidentPrincipal, body: CheckinCreate) -> Submitted:
        """A resident's check-in with their companions: the receipt once the broker confirmed every record's event."""
        try:
            checkpoint = await self._open_checkpoint(body.checkpoint_code)
            people = self._people(resident, checkpoint, body)
        except AppError:
            # The same client id answers with its first receipt whatever the body: the checkpoint may have closed
            # since, or the page may now show a newer form.
            replayed = await self._repository.replay(body.client_id, resident.id)
            if replayed is not None:
                return Submitted(replayed, replayed=True)
            raise
        # A position the resident did not agree to share is dropped here, before anything is computed from it.
        location = body.location if body.location_consent else None
        place = whereabouts(
            checkpoint,
            latitude=location.latitude if location else None,
            longitude=location.longitude if location else None,
            accuracy=location.accuracy if location else None,
            scene=body.scan_scene,
        )
        arrival = _Arrival(
            body.client_id,
            checkpoint,
            people,
            resident.id,
            None,
            body.direction,
            place,
            remind_checkout=body.remind_checkout,
        )
        return await self._check_in(arrival)

    async def check_out(self, resident: ResidentPrincipal, body: CheckoutCreate) -> Submitted:
        """The resident leaves the checkpoint where they checked in within its kind's assumed stay, with the same
        companions: one record each, as their check-in recorded them, for contact screening's stays. Nothing to fill in
        or measure; a closed checkpoint can still be left."""
        checkpoint = await self._checkpoints.by_code(body.checkpoint_code)
        stay = await self._repository.open_stay(resident.id, checkpoint.id)
        if stay is None:
            # A retry of a check-out that went through finds the stay closed by it.
            replayed = await self._repository.replay(body.client_id, resident.id)
            if replayed is not None:
                return Submitted(replayed, replayed=True)
            raise NotCheckedIn()
        return await self._check_in(
            _Arrival(body.client_id, checkpoint, [], resident.id, None, Direction.exit, leaving=stay)
        )

    async def enter_by_hand(self, staff: StaffPrincipal, checkpoint_id: int, body: HandEntryCreate) -> Submitted:
        if checkpoint_id not in staff.checkpoint_ids:
            raise NotOnDuty()
        try:
            checkpoint = await self._checkpoints.by_id(checkpoint_id)
            _ensure_open(checkpoint)
            visitor = self._visitor(body)
        except AppError:
            replayed = await self._repository.replay(body.client_id, staff.id)
            if replayed is not None:
                return Submitted(replayed, replayed=True)
            raise
        return await self._check_in(_Arrival(body.client_id, checkpoint, [visitor], None, staff.id, body.direction))

    async def history(self, resident: ResidentPrincipal, cursor: str | None, limit: int) -> CheckinHistory:
        offset = _offset(cursor)
        records, more = await self._repository.history(resident.id, offset, limit)
        return CheckinHistory(
            items=[_summary(record) for record in records], next_cursor=str(offset + limit) if more else None
        )

    async def _open_checkpoint(self, code: str) -> CheckpointConfig:
        checkpoint = await self._checkpoints.by_code(code)
        _ensure_open(checkpoint)
        return checkpoint

    def _people(self, resident: ResidentPrincipal, checkpoint: CheckpointConfig, body: CheckinCreate) -> list[Person]:
        """Every person's answers checked against the checkpoint's form version, all problems in one 422."""
        form = checkpoint.form
        errors: list[FieldError] = []
        people: list[Person] = []
        details: list[str] = []
        entries = [(body.answers, body.temperature, "answers", "temperature")] + [
            (companion.answers, companion.temperature, f"companions.{index}.answers", f"companions.{index}.temperature")
            for index, companion in enumerate(body.companions)
        ]
        leader_phone: str | None = None
        for number, (answers, temperature, location, temperature_field) in enumerate(entries):
            if number and leader_phone is not None:
                answers = _with_phone(form, answers, leader_phone)
            try:
                cleaned = form.validate_answers(answers, location=location)
            except ValidationFailed as failure:
                errors += failure.errors or []
                details.append(failure.detail or "")
                continue
            personal = form.personal_data(cleaned)
            if number == 0:
                leader_phone = personal.phone
            people.append(
                identify(
                    self._pii,
                    cleaned,
                    personal,
                    role=Role.resident if number == 0 else Role.companion,
                    resident_id=resident.id,
                    temperature=temperature,
                    temperature_field=temperature_field,
                )
            )
        if errors:
            detail = details[0] if len(details) == 1 and not body.companions else "请检查本人及同行人员填写的内容"
            raise ValidationFailed(detail, errors=errors)
        return people

    def _visitor(self, body: HandEntryCreate) -> Person:
        """The visitor as staff typed them, or as their personal code names them."""
        if body.card is None:
            personal = visitor_details(body.name, body.phone, body.id_card, name_required=False)
        elif body.name or body.phone or body.id_card:
            raise ValidationFailed(
                "请检查登记信息",
                errors=[FieldError(field="card", message="扫个人码登记时无需再填写姓名、手机号或身份证号")],
            )
        else:
            personal = card_holder(self._cards, body.card)
        answers: dict[str, object] = {
            key: value
            for key, value in (("name", personal.name), ("phone", personal.phone), ("id_card", personal.id_card))
            if value is not None
        }
        return identify(
            self._pii,
            answers,
            personal,
            role=Role.visitor,
            resident_id=None,
            temperature=body.temperature,
            temperature_field="temperature",
        )

    async def _check_in(self, arrival: _Arrival) -> Submitted:
        claim = await self._claim(arrival, os.urandom(12).hex().encode())
        if claim.replay is not None:
            return Submitted(claim.replay, replayed=True)
        assert claim.attempt is not None
        maybe_published = claim.reused
        try:
            if arrival.leaving is not None:
                receipt, messages, write = self._prepare_exit(arrival, claim.attempt, arrival.leaving)
            else:
                receipt, messages, write = self._prepare(arrival, claim, claim.attempt)
            self._repository.ensure_kept()
            # The receipt exists for the client only once the broker holds every event: a crash from here on loses
            # nothing acknowledged. A failure from here on may come after the broker took them.
            maybe_published = True
            await self._publisher.publish(messages)
        except BaseException:
            await self._repository.release(arrival.client_id, claim, maybe_published=maybe_published)
            raise
        self._repository.save(write)
        checkin_metrics().confirmed(arrival.checkpoint.city_code).inc()
        return Submitted(receipt, replayed=False)

    async def _claim(self, arrival: _Arrival, token: bytes) -> Claim:
        """The client id claimed and the people's state read, in one round trip. Without Redis, or while its state is
        being rebuilt, there is no telling whether the client id was answered before: 503, and the client retries."""
        temperature_identities = [
            person.temperature_identity
            for person in arrival.people
            if person.temperature_identity is not None and person.given_temperature is None
        ]
        fever_identities = list(dict.fromkeys(identity for person in arrival.people for identity in person.watched))
        deadline = time.monotonic() + self._duplicate_wait_seconds
        while True:
            if not self._repository.available:
                raise StateUnavailable()
            claim = await self._repository.claim(
                arrival.client_id,
                arrival.owner,
                token,
                Attempt.new(),
                temperature_identities=temperature_identities,
                fever_identities=fever_identities,
            )
            if claim.foreign:
                raise ClientIdTaken()
            if not claim.busy:
                return claim
            if time.monotonic() >= deadline:
                raise CheckinInProgress()
            await asyncio.sleep(_DUPLICATE_POLL_SECONDS)

    def _measurements(self, arrival: _Arrival, claim: Claim, now: datetime) -> list[Measurement]:
        measurements: list[Measurement] = []
        errors: list[FieldError] = []
        checkpoint = arrival.checkpoint
        for person in arrival.people:
            if person.given_temperature is not None:
                measurements.append(Measurement(person.given_temperature, now))
                continue
            last = None
            if person.temperature_identity is not None:
                last = claim.measurements.get(person.temperature_identity)
            reused = reusable(last, checkpoint, now)
            if reused is not None:
                measurements.append(reused)
                continue
            if last is None:
                message = "请测量体温后填写"
            else:
                message = f"上次测量已超过本卡口的体温有效期（{checkpoint.temp_valid_minutes} 分钟），请重新测量"
            errors.append(FieldError(field=person.temperature_field, message=message, code="temperature_required"))
        if errors:
            raise ValidationFailed("请填写体温", errors=errors)
        return measurements

    def _prepare(
        self, arrival: _Arrival, claim: Claim, attempt: Attempt
    ) -> tuple[bytes, list[OutgoingMessage], CheckinWrite]:
        now = attempt.checked_at
        checkpoint = arrival.checkpoint
        measurements = self._measurements(arrival, claim, now)
        batch = _Batch(main_id=attempt.record_id)
        for index, (person, measurement) in enumerate(zip(arrival.people, measurements, strict=True)):
            self._add_person(batch, arrival, claim, now, index, person, measurement)
        records, kept = batch.records, batch.kept
        receipt = CheckinReceipt.of(records[0][0], [record for record, _ in records[1:]])
        receipt_json = receipt.__pydantic_serializer__.to_json(receipt)
        stay = self._stay(arrival, [record for record, _ in records], kept)
        write = CheckinWrite(
            client_id=arrival.client_id,
            owner=arrival.owner,
            receipt=receipt_json,
            checkpoint_id=checkpoint.id,
            resident_id=arrival.resident_id,
            records=records,
            measurements=batch.measurements,
            fevers=batch.fevers,
            prefill=self._prefill(arrival, checkpoint, now, kept[0][1]),
            live_events=[live_event("arrival", raw, record.id) for record, raw in records],
            pending_answers=batch.pending_answers,
            feverish=batch.feverish,
            stay=stay,
            closes_stay=arrival.direction is Direction.exit,
            reminder=_reminder(arrival, stay[0]) if stay is not None else None,
        )
        return receipt_json, batch.messages, write

    def _add_person(
        self,
        batch: _Batch,
        arrival: _Arrival,
        claim: Claim,
        now: datetime,
        index: int,
        person: Person,
        measurement: Measurement,
    ) -> None:
        """One person's record and event, and what their check-in changes in the gate's state."""
        checkpoint = arrival.checkpoint
        status = status_for(measurement, checkpoint, audited=arrival.entered_by is not None)
        marks = [claim.fevers[identity] for identity in person.watched if identity in claim.fevers]
        recorded = _PersonRecord(
            status=status,
            measurement=measurement,
            personal=personal_data(self._pii, person),
            answers=encrypted_answers(self._pii, person.answers),
            warnings=warnings_for(measurement, checkpoint, marks) + place_warnings(arrival.whereabouts),
        )
        batch.kept.append((recorded.personal, recorded.answers))
        record, message = _recorded(arrival, now, batch.main_id, index, recorded)
        batch.records.append(record)
        batch.messages.append(message)
        # A fever at an audited gate waits for a decision once a re-measure clears it.
        if status is RecordStatus.pending or (status is RecordStatus.abnormal and checkpoint.requires_audit):
            form = b"%d|%d|" % (checkpoint.template_id, checkpoint.template_version)
            batch.pending_answers.append((record[0].id, form + recorded.answers.encode()))
        if measurement.source is TemperatureSource.measured and person.temperature_identity is not None:
            batch.measurements.append((person.temperature_identity, measurement))
        # A reused measurement that is a fever here marks the person exactly as a new one would.
        if has_fever(measurement.value, checkpoint):
            declarer = _declarer(batch.records[0][0]) if person.role is Role.companion else None
            mark = FeverMark(measurement.value, measurement.measured_at, checkpoint.name, declarer)
            batch.fevers += [(identity, mark) for identity in person.marks]
            batch.feverish.append((record[0].id, "|".join(person.own).encode()))

    def _stay(
        self, arrival: _Arrival, records: Sequence[CheckinRecord], kept: Sequence[tuple[PersonalData, str]]
    ) -> tuple[OpenStay, int] | None:
        """A resident's own check-in opens a stay for its kind's assumed duration; staff's hand entries do not (the
        visitor has no page to leave from)."""
        if arrival.resident_id is None or arrival.direction is not Direction.entry:
            return None
        minutes = self._stay_minutes[arrival.checkpoint.kind]
        main = records[0]
        people = [
            StayPerson(entry_id=record.id, person=personal, answers_encrypted=answers, temperature=record.temperature)
            for record, (personal, answers) in zip(records, kept, strict=True)
        ]
        until = main.checked_at + timedelta(minutes=minutes)
        return OpenStay(entry_id=main.id, checked_at=main.checked_at, until=until, people=people), minutes * 60

    def _prepare_exit(
        self, arrival: _Arrival, attempt: Attempt, stay: OpenStay
    ) -> tuple[bytes, list[OutgoingMessage], CheckinWrite]:
        """A check-out's records: the stay's people again, leaving now; passed (nothing to audit), their temperature
        the one their check-in had."""
        now, main_id = attempt.checked_at, attempt.record_id
        records: list[tuple[CheckinRecord, bytes]] = []
        messages: list[OutgoingMessage] = []
        for index, person in enumerate(stay.people):
            temperature = person.temperature
            recorded = _PersonRecord(
                status=RecordStatus.passed,
                measurement=Measurement(temperature.value, temperature.measured_at, TemperatureSource.reused),
                personal=person.person,
                answers=person.answers_encrypted,
            )
            record, message = _recorded(arrival, now, main_id, index, recorded)
            records.append(record)
            messages.append(message)
        receipt = CheckinReceipt.of(records[0][0], [record for record, _ in records[1:]])
        receipt_json = receipt.__pydantic_serializer__.to_json(receipt)
        write = CheckinWrite(
            client_id=arrival.client_id,
            owner=arrival.owner,
            receipt=receipt_json,
            checkpoint_id=arrival.checkpoint.id,
            resident_id=arrival.resident_id,
            records=records,
            measurements=[],
            fevers=[],
            prefill=[],
            live_events=[live_event("arrival", raw, record.id) for record, raw in records],
            closes_stay=True,
        )
        return receipt_json, messages, write

    def _prefill(
        self, arrival: _Arrival, checkpoint: CheckpointConfig, now: datetime, main_answers: str
    ) -> list[tuple[str, bytes]]:
        """The resident's answers as the event carries them (encrypted already), per template; their companions' in one
        list, so the page can offer the same children again."""
        if arrival.resident_id is None:
            return []
        stamp = b"%d|" % int(now.timestamp() * 1000)
        prefill = [(f"template:{checkpoint.template_id}", stamp + main_answers.encode())]
        companions = [person.answers for person in arrival.people[1:]]
        if companions:
            prefill.append(("companions", stamp + encrypted_answers(self._pii, companions).encode()))
        return prefill


@dataclass(slots=True)
class _Batch:
    """What the people of one arrival add to its write, person by person; `main_id` is the first person's record."""

    main_id: uuid.UUID
    records: list[tuple[CheckinRecord, bytes]] = field(default_factory=list)
    messages: list[OutgoingMessage] = field(default_factory=list)
    measurements: list[tuple[str, Measurement]] = field(default_factory=list)
    fevers: list[tuple[str, FeverMark]] = field(default_factory=list)
    pending_answers: list[tuple[uuid.UUID, bytes]] = field(default_factory=list)
    feverish: list[tuple[uuid.UUID, bytes]] = field(default_factory=list)
    # Each person's data and answers as the events carry them, kept with a resident's stay for their check-out.
    kept: list[tuple[PersonalData, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _PersonRecord:
    """What one person's record of an arrival says, before it becomes the receipt's record and the store's event."""

    status: RecordStatus
    measurement: Measurement
    personal: PersonalData
    # As the event carries them: encrypted.
    answers: str
    warnings: list[ArrivalWarning] = field(default_factory=list)


def _record_of(
    arrival: _Arrival, now: datetime, record_id: uuid.UUID, companion_of: uuid.UUID | None, person: _PersonRecord
) -> CheckinRecord:
    """One person's record as the gate's state and the staff boards show it."""
    checkpoint = arrival.checkpoint
    measurement = person.measurement
    return CheckinRecord(
        id=record_id,
        checkpoint_id=checkpoint.id,
        checkpoint_code=checkpoint.code,
        checkpoint_name=checkpoint.name,
        checkpoint_kind_label=checkpoint.kind_label,
        city_code=checkpoint.city_code,
        checked_at=in_beijing(now),
        status=person.status,
        status_label=STATUS_LABELS[person.status],
        temperature=TemperatureOut(
            value=measurement.value, source=measurement.source, measured_at=in_beijing(measurement.measured_at)
        ),
        direction=arrival.direction,
        resident_id=arrival.resident_id,
        companion_of=companion_of,
        entered_by=arrival.entered_by,
        name_masked=person.personal.name_masked,
        phone_masked=person.personal.phone_masked,
        id_card_masked=person.personal.id_card_masked,
        warnings=person.warnings,
        distance_m=arrival.whereabouts.distance_m,
        outside_radius=arrival.whereabouts.outside_radius,
        remote_scan=arrival.whereabouts.remote_scan,
    )


def _recorded(
    arrival: _Arrival, now: datetime, main_id: uuid.UUID, index: int, person: _PersonRecord
) -> tuple[tuple[CheckinRecord, bytes], OutgoingMessage]:
    """The `index`th person's record (the first is the one checking in, with `main_id`), serialised, and its event."""
    checkpoint = arrival.checkpoint
    record_id = main_id if index == 0 else derived_id(main_id, index)
    companion_of = main_id if index else None
    record = _record_of(arrival, now, record_id, companion_of, person)
    event = created_event(
        record_id=record_id,
        # The store's own guard against a retry stored twice while Redis was down.
        client_key=arrival.client_id if index == 0 else uuid.uuid5(arrival.client_id, str(index - 1)),
        checkpoint=checkpoint,
        checked_at=now,
        resident_id=arrival.resident_id,
        companion_of=companion_of,
        entered_by=arrival.entered_by,
        person=person.personal,
        answers_encrypted=person.answers,
        measurement=person.measurement,
        direction=arrival.direction,
        status=person.status,
        whereabouts=arrival.whereabouts,
        remind_checkout=_reminds(arrival) and index == 0,
    )
    return (record, record.__pydantic_serializer__.to_json(record)), message_of(event)


def _reminds(arrival: _Arrival) -> bool:
    """Whether the arrival schedules a 离开提醒: the resident's own entry, with their subscription."""
    return arrival.remind_checkout and arrival.resident_id is not None and arrival.direction is Direction.entry


def _reminder(arrival: _Arrival, stay: OpenStay) -> CheckoutReminderDue | None:
    if not _reminds(arrival) or arrival.resident_id is None:
        return None
    return CheckoutReminderDue(
        resident_id=arrival.resident_id,
        checkpoint_id=arrival.checkpoint.id,
        checkpoint_name=arrival.checkpoint.name,
        checked_at=stay.checked_at,
        due=stay.until,
    )


def _with_phone(form: FormDefinition, answers: dict[str, Any], phone: str) -> dict[str, Any]:
    """A companion without a phone of their own (a child, an elder) is reached through the resident's: their name with
    it keeps them a person of their own in contact screening."""
    keys = form.personal_fields()[FieldType.phone]
    if not keys or not is_blank(answers.get(keys[0])):
        return answers
    return {**answers, keys[0]: phone}


def _declarer(main: CheckinRecord) -> str:
    """Who declared a companion's fever, as staff are shown it: the resident's masked name and phone."""
    return " ".join(part for part in (main.name_masked, main.phone_masked) if part) or "其他居民"


def _ensure_open(checkpoint: CheckpointConfig) -> None:
    if not checkpoint.active:
        raise CheckpointClosed(f"“{checkpoint.name}”已停用，暂不能登记")


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 6:
        raise ValidationFailed.field("cursor", "翻页参数无效，请从第一页重新加载")
    return int(cursor)


def _summary(record: CheckinRecord) -> CheckinSummary:
    return CheckinSummary(
        id=record.id,
        checkpoint=CheckpointRef(
            code=record.checkpoint_code, name=record.checkpoint_name, kind_label=record.checkpoint_kind_label
        ),
        status=record.status,
        status_label=STATUS_LABELS[record.status],
        temperature=record.temperature,
        checked_at=record.checked_at,
        direction=record.direction,
        name_masked=record.name_masked,
        companion_of=record.companion_of,
        decided_at=record.decided_at,
        reason=record.reason,
    )


# Built once at start-up (`main`): the hot path builds nothing per request.
Checkins = Annotated[CheckinService, Depends(app_state("checkins"))]
