from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Final

from lianfang.checkin.checkins.people import CHINA, local
from lianfang.checkin.checkins.service import live_event
from lianfang.checkin.checkpoints.repository import CheckpointConfigs
from lianfang.checkin.checkpoints.service import checkpoint_info
from lianfang.checkin.errors import (
    AlreadyDecided,
    CheckpointNotFound,
    NotOnDuty,
    RecordNotFound,
    RegistryUnavailable,
    StateUnavailable,
)
from lianfang.checkin.keys import live_channel
from lianfang.checkin.notifier import DecisionNotifier
from lianfang.checkin.publisher import EventPublisher
from lianfang.checkin.staff.live import LiveHub
from lianfang.checkin.staff.repository import StaffRepository
from lianfang.checkin.staff.schemas import (
    ArrivalAnswer,
    ArrivalAnswers,
    DecisionCreate,
    DecisionOut,
    PendingArrivals,
    StaffCheckpoints,
    TodaysArrivals,
)
from lianfang.common.auth import StaffPrincipal
from lianfang.common.contracts.events import STATUS_LABELS, CheckinDecided, RecordStatus, decided_routing_key
from lianfang.common.forms import FormField
from lianfang.common.forms.shown import label_answers
from lianfang.common.ids import new_id
from lianfang.common.messaging import OutgoingMessage
from lianfang.common.pii import PiiCipher

__all__ = ["StaffService"]

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
        notifier: DecisionNotifier,
    ) -> None:
        self._pii = pii
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

    async def pending(self, staff: StaffPrincipal, checkpoint_id: int) -> PendingArrivals:
        _ensure_on_duty(staff, checkpoint_id)
        return PendingArrivals(items=await self._repository.pending(checkpoint_id))

    async def today(self, staff: StaffPrincipal, checkpoint_id: int) -> TodaysArrivals:
        _ensure_on_duty(staff, checkpoint_id)
        midnight = datetime.now(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
        return TodaysArrivals(items=await self._repository.arrivals(checkpoint_id, midnight))

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

    async def decide(
        self, staff: StaffPrincipal, record_id: uuid.UUID, body: DecisionCreate, bearer: str
    ) -> DecisionOut:
        """`bearer` is the staff member's own token, forwarded to the gateway for the resident's notice."""
        token = os.urandom(12).hex().encode()
        record, claimed = await self._repository.claim_decision(record_id, token)
        try:
            if record is None:
                raise RecordNotFound("登记记录不存在或已超过 30 天")
            _ensure_on_duty(staff, record.checkpoint_id)
            if record.status is not RecordStatus.pending:
                raise AlreadyDecided(f"该登记已是“{STATUS_LABELS[record.status]}”")
            if not claimed:
                raise AlreadyDecided("另一位工作人员正在审核该登记")
            status = RecordStatus.passed if body.decision == "approve" else RecordStatus.rejected
            now = datetime.now(UTC)
            event = CheckinDecided(
                record_id=record.id,
                city_code=record.city_code,
                checked_at=record.checked_at.astimezone(UTC),
                status=status,
                decided_by=staff.id,
                decided_at=now,
                reason=body.reason,
            )
            self._repository.ensure_kept()
            await self._publisher.publish(
                [
                    OutgoingMessage(
                        routing_key=decided_routing_key(record.city_code),
                        body=event.__pydantic_serializer__.to_json(event),
                        message_id=str(new_id()),
                    )
                ]
            )
        except BaseException:
            if claimed:
                await self._repository.release_decision(record_id, token)
            raise
        decided = record.model_copy(
            update={
                "status": status,
                "status_label": STATUS_LABELS[status],
                "decided_by": staff.id,
                "decided_at": local(now),
                "reason": body.reason,
            }
        )
        out = DecisionOut(
            id=decided.id,
            checkpoint_id=decided.checkpoint_id,
            status=status,
            status_label=STATUS_LABELS[status],
            decided_by=staff.id,
            decided_at=local(now),
            reason=body.reason,
        )
        await self._repository.save_decision(
            decided, live_event("decision", out.__pydantic_serializer__.to_json(out), new_id())
        )
        # The resident hears of it through WeChat when they subscribed; after the answer, never in its way.
        self._notifier.decided(decided, bearer)
        return out

    def events(self, staff: StaffPrincipal, checkpoint_id: int, last_event_id: str | None) -> AsyncIterator[bytes]:
        """The checkpoint's arrivals and decisions as server-sent events, from whichever instance they happen on."""
        _ensure_on_duty(staff, checkpoint_id)
        return self._stream(checkpoint_id, last_event_id)

    async def _stream(self, checkpoint_id: int, last_event_id: str | None) -> AsyncIterator[bytes]:
        async with self._hub.subscribe(live_channel(checkpoint_id)) as queue:
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
