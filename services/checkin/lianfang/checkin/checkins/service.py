from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from lianfang.checkin.checkins.events import created_event, encrypted_answers, message_of, personal_data
from lianfang.checkin.checkins.geo import Whereabouts, distance_text, whereabouts
from lianfang.checkin.checkins.people import (
    FeverMark,
    Measurement,
    Person,
    Role,
    has_fever,
    identify,
    local,
    reusable,
    status_for,
    warnings_for,
)
from lianfang.checkin.checkins.repository import CheckinRepository, CheckinWrite, Claim
from lianfang.checkin.checkins.schemas import (
    ArrivalWarning,
    CheckinCreate,
    CheckinHistory,
    CheckinReceipt,
    CheckinRecord,
    CheckinSummary,
    CheckpointRef,
    CompanionReceipt,
    HandEntryCreate,
    TemperatureOut,
)
from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.errors import CheckinInProgress, CheckpointClosed, ClientIdTaken, NotOnDuty, StateUnavailable
from lianfang.checkin.metrics import checkin_metrics
from lianfang.checkin.publisher import EventPublisher
from lianfang.common.auth import ResidentPrincipal, StaffPrincipal
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import STATUS_LABELS, Direction, RecordStatus, TemperatureSource
from lianfang.common.errors import AppError, FieldError, ValidationFailed
from lianfang.common.forms import FieldType, FormDefinition, FormField
from lianfang.common.ids import new_id
from lianfang.common.messaging import OutgoingMessage
from lianfang.common.pii import PiiCipher

__all__ = ["HAND_ENTRY_FORM", "CheckinService", "Submitted", "live_event"]

# How often a retry polls for the receipt of its first attempt, still in flight.
_DUPLICATE_POLL_SECONDS: Final = 0.02

# What staff ask a visitor without a smartphone; the rules of each field are those of the forms.
HAND_ENTRY_FORM: Final = FormDefinition(
    fields=(
        FormField(key="name", label="姓名", type=FieldType.name, required=True),
        FormField(key="phone", label="手机号", type=FieldType.phone),
        FormField(key="id_card", label="身份证号", type=FieldType.id_card),
    )
)


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


def _now() -> datetime:
    """Milliseconds, as temperatures are kept in Redis: a reused measurement shows the very time of the first record."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class CheckinService:
    def __init__(
        self,
        *,
        checkpoints: CheckpointConfigs,
        repository: CheckinRepository,
        publisher: EventPublisher,
        pii: PiiCipher,
        duplicate_wait_seconds: float,
    ) -> None:
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
        arrival = _Arrival(body.client_id, checkpoint, people, resident.id, None, body.direction, place)
        return await self._check_in(arrival)

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
        for number, (answers, temperature, location, temperature_field) in enumerate(entries):
            try:
                cleaned = form.validate_answers(answers, location=location)
            except ValidationFailed as failure:
                errors += failure.errors or []
                details.append(failure.detail or "")
                continue
            people.append(
                identify(
                    self._pii,
                    cleaned,
                    form.personal_data(cleaned),
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
        answers = {"name": body.name, "phone": body.phone, "id_card": body.id_card}
        errors: list[FieldError] = []
        try:
            cleaned = HAND_ENTRY_FORM.validate_answers(answers, location="entry")
        except ValidationFailed as failure:
            errors += [
                error.model_copy(update={"field": error.field.removeprefix("entry.")}) for error in failure.errors or []
            ]
            cleaned = {}
        if not errors and "phone" not in cleaned and "id_card" not in cleaned:
            errors.append(FieldError(field="phone", message="请填写手机号或身份证号（至少一项）", code="missing"))
        if errors:
            raise ValidationFailed("请检查登记信息", errors=errors)
        personal = HAND_ENTRY_FORM.personal_data(cleaned)
        return identify(
            self._pii,
            cleaned,
            personal,
            role=Role.visitor,
            resident_id=None,
            temperature=body.temperature,
            temperature_field="temperature",
        )

    async def _check_in(self, arrival: _Arrival) -> Submitted:
        token = os.urandom(12).hex().encode()
        claim = await self._claim(arrival, token)
        if claim.replay is not None:
            return Submitted(claim.replay, replayed=True)
        try:
            receipt, messages, write = self._prepare(arrival, claim)
            self._repository.ensure_kept()
            # The receipt exists for the client only once the broker holds every event: a crash from here on loses
            # nothing acknowledged.
            await self._publisher.publish(messages)
        except BaseException:
            await self._repository.release(arrival.client_id, arrival.owner, token)
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

    def _prepare(self, arrival: _Arrival, claim: Claim) -> tuple[bytes, list[OutgoingMessage], CheckinWrite]:
        now = _now()
        checkpoint = arrival.checkpoint
        measurements = self._measurements(arrival, claim, now)
        fevers_known = claim.fevers
        audited = arrival.entered_by is not None
        main_id = new_id()
        records: list[tuple[CheckinRecord, bytes]] = []
        messages: list[OutgoingMessage] = []
        new_measurements: list[tuple[str, Measurement]] = []
        new_fevers: list[tuple[str, FeverMark]] = []
        pending_answers: list[tuple[uuid.UUID, bytes]] = []
        main_answers = ""
        for index, (person, measurement) in enumerate(zip(arrival.people, measurements, strict=True)):
            record_id = main_id if index == 0 else new_id()
            status = status_for(measurement, checkpoint, audited=audited)
            marks = [fevers_known[identity] for identity in person.watched if identity in fevers_known]
            personal = personal_data(self._pii, person)
            answers = encrypted_answers(self._pii, person.answers)
            if index == 0:
                main_answers = answers
            record = CheckinRecord(
                id=record_id,
                checkpoint_id=checkpoint.id,
                checkpoint_code=checkpoint.code,
                checkpoint_name=checkpoint.name,
                checkpoint_kind_label=checkpoint.kind_label,
                city_code=checkpoint.city_code,
                checked_at=local(now),
                status=status,
                status_label=STATUS_LABELS[status],
                temperature=TemperatureOut(
                    value=measurement.value, source=measurement.source, measured_at=local(measurement.measured_at)
                ),
                direction=arrival.direction,
                resident_id=arrival.resident_id,
                companion_of=main_id if index else None,
                entered_by=arrival.entered_by,
                name_masked=personal.name_masked,
                phone_masked=personal.phone_masked,
                id_card_masked=personal.id_card_masked,
                warnings=warnings_for(measurement, checkpoint, marks) + _place_warnings(arrival.whereabouts),
                distance_m=arrival.whereabouts.distance_m,
                outside_radius=arrival.whereabouts.outside_radius,
                remote_scan=arrival.whereabouts.remote_scan,
            )
            records.append((record, record.__pydantic_serializer__.to_json(record)))
            if status is RecordStatus.pending:
                form = b"%d|%d|" % (checkpoint.template_id, checkpoint.template_version)
                pending_answers.append((record_id, form + answers.encode()))
            event = created_event(
                record_id=record_id,
                # The store's own guard against a retry stored twice while Redis was down.
                client_key=arrival.client_id if index == 0 else uuid.uuid5(arrival.client_id, str(index - 1)),
                checkpoint=checkpoint,
                checked_at=now,
                resident_id=arrival.resident_id,
                companion_of=main_id if index else None,
                entered_by=arrival.entered_by,
                person=personal,
                answers_encrypted=answers,
                measurement=measurement,
                direction=arrival.direction,
                status=status,
                whereabouts=arrival.whereabouts,
            )
            messages.append(message_of(event))
            if measurement.source is TemperatureSource.measured and person.temperature_identity is not None:
                new_measurements.append((person.temperature_identity, measurement))
            # A reused measurement that is a fever here marks the person exactly as a new one would.
            if has_fever(measurement.value, checkpoint):
                declarer = _declarer(records[0][0]) if person.role is Role.companion else None
                mark = FeverMark(measurement.value, measurement.measured_at, checkpoint.name, declarer)
                new_fevers += [(identity, mark) for identity in person.marks]
        receipt = _receipt(checkpoint, arrival.direction, [record for record, _ in records])
        receipt_json = receipt.__pydantic_serializer__.to_json(receipt)
        write = CheckinWrite(
            client_id=arrival.client_id,
            owner=arrival.owner,
            receipt=receipt_json,
            checkpoint_id=checkpoint.id,
            resident_id=arrival.resident_id,
            records=records,
            measurements=new_measurements,
            fevers=new_fevers,
            prefill=self._prefill(arrival, checkpoint, now, main_answers),
            live_events=[live_event("arrival", raw, record.id) for record, raw in records],
            pending_answers=pending_answers,
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


def _place_warnings(place: Whereabouts) -> list[ArrivalWarning]:
    """What staff are told of a check-in made elsewhere: far from the gate, or from a picture of its code."""
    warnings: list[ArrivalWarning] = []
    if place.outside_radius and place.distance_m is not None:
        message = f"距卡口 {distance_text(place.distance_m)}"
        if place.accuracy_m:
            message += f"（定位精度约 {distance_text(place.accuracy_m)}）"
        warnings.append(ArrivalWarning(code="outside_radius", message=message))
    if place.remote_scan:
        warnings.append(ArrivalWarning(code="remote_scan", message="非现场扫码：通过相册或聊天中的图片打开"))
    return warnings


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


def _receipt(checkpoint: CheckpointConfig, direction: Direction, records: list[CheckinRecord]) -> CheckinReceipt:
    main, companions = records[0], records[1:]
    return CheckinReceipt(
        id=main.id,
        status=main.status,
        status_label=main.status_label,
        temperature=main.temperature,
        checked_at=main.checked_at,
        direction=direction,
        checkpoint=CheckpointRef(code=checkpoint.code, name=checkpoint.name, kind_label=checkpoint.kind_label),
        name_masked=main.name_masked,
        companions=[
            CompanionReceipt(
                id=record.id,
                status=record.status,
                status_label=record.status_label,
                temperature=record.temperature,
                name_masked=record.name_masked,
            )
            for record in companions
        ],
    )


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
