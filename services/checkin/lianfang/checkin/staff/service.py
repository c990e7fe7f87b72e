from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import Depends

from lianfang.checkin.checkins.cards import card_holder
from lianfang.checkin.checkins.people import Measurement, fever_now
from lianfang.checkin.checkins.schemas import CheckinRecord, RemeasureOut
from lianfang.checkin.checkins.service import live_event
from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.checkpoints.service import checkpoint_info
from lianfang.checkin.errors import (
    AlreadyDecided,
    CheckpointNotFound,
    NotAbnormal,
    NotOnDuty,
    RecordNotFound,
    RegistryUnavailable,
    StateUnavailable,
)
from lianfang.checkin.notifier import Notifier
from lianfang.checkin.publisher import EventPublisher
from lianfang.checkin.staff.live import LiveHub
from lianfang.checkin.staff.names import StaffNames
from lianfang.checkin.staff.remeasures import candidates, mark_changes, remeasured_status
from lianfang.checkin.staff.reports import GateReportsClient
from lianfang.checkin.staff.repository import StaffRepository
from lianfang.checkin.staff.schemas import (
    Arrival,
    ArrivalAnswer,
    ArrivalAnswers,
    CardHolder,
    CardScan,
    DecisionCreate,
    DecisionOut,
    PendingArrivals,
    RemeasureCreate,
    StaffCheckpoints,
    TodaysArrivals,
)
from lianfang.common.auth import StaffPrincipal
from lianfang.common.beijing import BEIJING, in_beijing
from lianfang.common.cards import PersonalCards
from lianfang.common.contracts.events import (
    STATUS_LABELS,
    CheckinDecided,
    RecordStatus,
    Remeasure,
    decided_routing_key,
)
from lianfang.common.forms import FormField
from lianfang.common.forms.shown import label_answers
from lianfang.common.ids import new_id
from lianfang.common.messaging import OutgoingMessage
from lianfang.common.pii import PiiCipher, mask_id_card, mask_name, mask_phone
from lianfang.common.state import app_state

__all__ = ["StaffDuty", "StaffService"]

# EventSource waits this long before reconnecting after the stream ends.
_RECONNECT_MILLISECONDS: Final = 3000


def _event_id(event: bytes) -> bytes:
    """The `id:` of a complete server-sent event as `live_event` writes it."""
    return event.split(b"\n", 1)[0].removeprefix(b"id: ")


def _ensure_on_duty(staff: StaffPrincipal, checkpoint_id: int) -> None:
    if checkpoint_id not in staff.checkpoint_ids:
        raise NotOnDuty()


class StaffService:
    def __init__(
        self,
        *,
        configs: CheckpointConfigs,
        repository: StaffRepository,
        publisher: EventPublisher,
        hub: LiveHub,
        heartbeat_seconds: float,
        pii: PiiCipher,
        cards: PersonalCards,
        notifier: Notifier,
        names: StaffNames,
        reports: GateReportsClient,
    ) -> None:
        self._names = names
        self._reports = reports
        self._pii = pii
        self._cards = cards
        self._notifier = notifier
        self._configs = configs
        self._repository = repository
        self._publisher = publisher
        self._hub = hub
        self._heartbeat_seconds = heartbeat_seconds

    async def checkpoints(self, staff: StaffPrincipal) -> StaffCheckpoints:
        items = []
        for checkpoint_id in staff.checkpoint_ids:
            try:
                items.append(checkpoint_info(await self._configs.by_id(checkpoint_id)))
            except CheckpointNotFound:
                continue
        return StaffCheckpoints(items=items)

    async def card(self, staff: StaffPrincipal, checkpoint_id: int, body: CardScan) -> CardHolder:
        """Who a scanned personal code names, masked for the screen: the keeper checks the face, measures, confirms.
        Any keeper reads any card (it names a person, not a gate), at the checkpoints they guard."""
        _ensure_on_duty(staff, checkpoint_id)
        await self._configs.by_id(checkpoint_id)
        person = card_holder(self._cards, body.card)
        return CardHolder(
            name_masked=mask_name(person.name) if person.name else None,
            phone_masked=mask_phone(person.phone) if person.phone else None,
            id_card_masked=mask_id_card(person.id_card) if person.id_card else None,
        )

    async def pending(self, staff: StaffPrincipal, checkpoint_id: int) -> PendingArrivals:
        _ensure_on_duty(staff, checkpoint_id)
        return PendingArrivals(items=await self._repository.pending(checkpoint_id))

    async def today(self, staff: StaffPrincipal, checkpoint_id: int, bearer: str) -> TodaysArrivals:
        """`bearer` is the staff member's own token, forwarded to trace for the fevers already reported."""
        _ensure_on_duty(staff, checkpoint_id)
        midnight = datetime.now(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
        return TodaysArrivals(
            items=await self._with_reports(await self._repository.arrivals(checkpoint_id, midnight), bearer)
        )

    async def _with_reports(self, records: list[CheckinRecord], bearer: str) -> list[Arrival]:
        """The records with the 处置 of each fever among them: only a fever (now or before its re-measure) is sent."""
        fevers = [record.id for record in records if record.status is RecordStatus.abnormal or record.remeasure]
        marks = await self._reports.marks(fevers, bearer)
        return [Arrival(**dict(record), gate_report=marks.get(record.id)) for record in records]

    async def answers(self, staff: StaffPrincipal, record_id: uuid.UUID) -> ArrivalAnswers:
        """A pending arrival's answers under the labels of the form it was filled in, personal ones masked."""
        record, stored = await self._repository.with_answers(record_id)
        if record is None:
            raise RecordNotFound("登记记录不存在或已超过 30 天")
        _ensure_on_duty(staff, record.checkpoint_id)
        if stored is None:
            raise RecordNotFound("只有待审核的登记保留填写内容；该登记已审核，或其内容已不可用")
        template_id, version, sealed = stored.split(b"|", 2)
        answers = json.loads(self._pii.decrypt(sealed.decode()))
        form = int(template_id), int(version)
        fields: tuple[FormField, ...] = ()
        try:
            checkpoint = await self._configs.by_code(record.checkpoint_code)
        except (CheckpointNotFound, RegistryUnavailable):
            checkpoint = None
        # A checkpoint moved to another version since shows the answers under their keys rather than wrong labels.
        if checkpoint is not None and (checkpoint.template_id, checkpoint.template_version) == form:
            fields = checkpoint.form.fields
        return ArrivalAnswers(
            record_id=record.id,
            template_id=form[0],
            template_version=form[1],
            answers=[
                ArrivalAnswer(
                    key=answer.key, label=answer.label, type=answer.type, value=answer.text, masked=answer.masked
                )
                for answer in label_answers(fields, answers, full=False)
            ],
        )

    @asynccontextmanager
    async def _claimed(self, record_id: uuid.UUID) -> AsyncIterator[tuple[CheckinRecord | None, bool]]:
        """The record, and whether this request claimed its decision (one gate keeper at a time): the claim is given
        back when the block fails, and stays with a decision it saved."""
        token = os.urandom(12).hex().encode()
        record, claimed = await self._repository.claim_decision(record_id, token)
        try:
            yield record, claimed
        except BaseException:
            if claimed:
                await self._repository.release_decision(record_id, token)
            raise

    async def decide(
        self, staff: StaffPrincipal, record_id: uuid.UUID, body: DecisionCreate, bearer: str
    ) -> DecisionOut:
        """`bearer` is the staff member's own token, forwarded to the gateway for the resident's notice."""
        async with self._claimed(record_id) as (record, claimed):
            if record is None:
                raise RecordNotFound("登记记录不存在或已超过 30 天")
            _ensure_on_duty(staff, record.checkpoint_id)
            if record.status is not RecordStatus.pending:
                raise AlreadyDecided(f"该登记已是“{STATUS_LABELS[record.status]}”")
            if not claimed:
                raise AlreadyDecided("另一位工作人员正在审核该登记")
            status = RecordStatus.passed if body.decision == "approve" else RecordStatus.rejected
            now = datetime.now(UTC)
            await self._publish(_decided_event(record, staff, status, now, reason=body.reason))
        decided = record.model_copy(update=_decision(staff, status, now) | {"reason": body.reason})
        out = DecisionOut(
            id=decided.id,
            checkpoint_id=decided.checkpoint_id,
            status=status,
            status_label=STATUS_LABELS[status],
            decided_by=staff.id,
            decided_at=in_beijing(now),
            reason=body.reason,
        )
        await self._repository.save_decision(
            decided, live_event("decision", out.__pydantic_serializer__.to_json(out), new_id())
        )
        # The resident hears of it through WeChat when they subscribed; after the answer, never in its way.
        self._notifier.decided(decided, bearer)
        return out

    async def remeasure(
        self, staff: StaffPrincipal, record_id: uuid.UUID, body: RemeasureCreate, bearer: str
    ) -> Arrival:
        """A fever taken again at the gate (`staff.remeasures`): the answer is the arrival as the boards now show it."""
        async with self._claimed(record_id) as (record, claimed):
            # Another checkpoint's record is not found: whether it exists is none of this gate keeper's business.
            if record is None or record.checkpoint_id not in staff.checkpoint_ids:
                raise RecordNotFound("登记记录不存在或已超过 30 天")
            if record.status is not RecordStatus.abnormal:
                raise NotAbnormal(f"该登记是“{STATUS_LABELS[record.status]}”，只有体温异常的登记可以复测")
            if not claimed:
                raise AlreadyDecided("另一位工作人员正在处理该登记")
            checkpoint = await self._configs.by_code(record.checkpoint_code)
            now = datetime.now(UTC)
            status = remeasured_status(body.temperature, checkpoint)
            remeasure = Remeasure(
                temperature=body.temperature,
                measured_by=staff.id,
                measured_by_name=await self._names.name_of(bearer),
                measured_at=now,
            )
            await self._publish(_decided_event(record, staff, status, now, remeasure=remeasure))
        kept = [warning for warning in record.warnings if warning.code != "fever_now"]
        remeasured = record.model_copy(
            update=_decision(staff, status, now)
            | {
                "remeasure": RemeasureOut(
                    value=body.temperature,
                    measured_by=staff.id,
                    measured_by_name=remeasure.measured_by_name,
                    measured_at=in_beijing(now),
                ),
                "warnings": fever_now(body.temperature, checkpoint) + kept,
            }
        )
        [shown] = await self._with_reports([remeasured], bearer)
        await self._save_remeasure(record, remeasured, shown)
        if status is RecordStatus.passed:
            self._notifier.decided(remeasured, bearer)
        return shown

    async def _save_remeasure(self, before: CheckinRecord, after: CheckinRecord, shown: Arrival) -> None:
        """Keeps `after`; the boards get `shown`, with its 处置."""
        assert after.remeasure is not None
        try:
            own = await self._repository.fever_person(before.id)
            keys = candidates(before, own)
            held = await self._repository.fever_marks(keys)
        except StateUnavailable:
            own, held = [], {}
        changes = mark_changes(
            before,
            Measurement(after.remeasure.value, after.remeasure.measured_at),
            confirmed=after.status is RecordStatus.abnormal,
            own=own,
            held=held,
        )
        event = live_event("remeasure", shown.__pydantic_serializer__.to_json(shown), new_id())
        await self._repository.save_remeasure(
            after, event, temperature=changes.temperature, marks=changes.marks, lifted=changes.lifted
        )

    async def _publish(self, event: CheckinDecided) -> None:
        """Returns once the broker confirmed; nothing leaves while this instance knows the state lost."""
        self._repository.ensure_kept()
        await self._publisher.publish(
            [
                OutgoingMessage(
                    routing_key=decided_routing_key(event.city_code),
                    body=event.__pydantic_serializer__.to_json(event),
                    message_id=str(new_id()),
                )
            ]
        )

    def events(self, staff: StaffPrincipal, checkpoint_id: int, last_event_id: str | None) -> AsyncIterator[bytes]:
        """The checkpoint's arrivals and decisions as server-sent events, from whichever instance they happen on."""
        _ensure_on_duty(staff, checkpoint_id)
        return self._stream(checkpoint_id, last_event_id)

    async def _stream(self, checkpoint_id: int, last_event_id: str | None) -> AsyncIterator[bytes]:
        async with self._hub.subscribe(self._repository.live_channel(checkpoint_id)) as queue:
            yield b"retry: %d\n: connected\n\n" % _RECONNECT_MILLISECONDS
            # Subscribed first, replayed second: an event published in between comes twice and is sent once.
            replayed: set[bytes] = set()
            if last_event_id:
                for missed in await self._missed(checkpoint_id, last_event_id.encode()):
                    replayed.add(_event_id(missed))
                    yield missed
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), self._heartbeat_seconds)
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if event is None:
                    return
                if replayed and _event_id(event) in replayed:
                    continue
                yield event

    async def _missed(self, checkpoint_id: int, last_event_id: bytes) -> list[bytes]:
        """The events after `last_event_id`, oldest first; all that are kept when it is not among them."""
        try:
            recent = await self._repository.recent_events(checkpoint_id)
        except StateUnavailable:
            return []
        missed: list[bytes] = []
        for event in recent:
            if _event_id(event) == last_event_id:
                break
            missed.append(event)
        return missed[::-1]


def _decision(staff: StaffPrincipal, status: RecordStatus, now: datetime) -> dict[str, Any]:
    """What any decision changes in a record: its status, who decided and when."""
    return {
        "status": status,
        "status_label": STATUS_LABELS[status],
        "decided_by": staff.id,
        "decided_at": in_beijing(now),
    }


# The gate keepers' side of the check-in service (卡口执勤), built once at start-up (`main`).
StaffDuty = Annotated[StaffService, Depends(app_state("staff"))]


def _decided_event(
    record: CheckinRecord,
    staff: StaffPrincipal,
    status: RecordStatus,
    now: datetime,
    *,
    reason: str | None = None,
    remeasure: Remeasure | None = None,
) -> CheckinDecided:
    """The event of a decision on a record; one with a re-measure is of the event's second version."""
    return CheckinDecided(
        schema_version=1 if remeasure is None else 2,
        record_id=record.id,
        city_code=record.city_code,
        checked_at=record.checked_at.astimezone(UTC),
        status=status,
        decided_by=staff.id,
        decided_at=now,
        reason=reason,
        remeasure=remeasure,
    )
