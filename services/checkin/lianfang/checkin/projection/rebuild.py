"""The gate's state in Redis, made again from the records store: what a group of records that share a moment leaves in
Redis, exactly as the check-ins and decisions that made them left it (the key layout is `lianfang.checkin.keys`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic_core import from_json, to_json

from lianfang.checkin.arrivals import arrival_commands, arrival_score
from lianfang.checkin.checkins.geo import Whereabouts, place_warnings
from lianfang.checkin.checkins.people import (
    FeverMark,
    Measurement,
    Role,
    identities,
    marked_by,
    role_of,
    warnings_for,
)
from lianfang.checkin.checkins.repository import owned_receipt
from lianfang.checkin.checkins.schemas import (
    ArrivalWarning,
    CheckinReceipt,
    CheckinRecord,
    CheckoutReminderDue,
    OpenStay,
    RemeasureOut,
    StayPerson,
    TemperatureOut,
)
from lianfang.checkin.keys import (
    ARRIVALS_SECONDS,
    FEVER_SECONDS,
    HISTORY_LENGTH,
    HISTORY_SECONDS,
    IDEMPOTENCY_SECONDS,
    PENDING_SECONDS,
    PREFILL_SECONDS,
    RECORD_SECONDS,
    TEMPERATURE_SECONDS,
    answers_key,
    checkout_reminder_member,
    client_key,
    fever_key,
    history_key,
    identities_key,
    pending_key,
    prefill_key,
    record_key,
    stay_key,
    temperature_key,
)
from lianfang.checkin.projection.repository import StoredRecord
from lianfang.checkin.redis_pipeline import Command
from lianfang.checkin.reminders import cancel_commands, schedule_commands
from lianfang.common.beijing import in_beijing
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import STATUS_LABELS, Direction, PersonalData, RecordStatus, TemperatureSource
from lianfang.common.pii import PiiCipher

__all__ = ["OLDEST", "Replayer"]

# The oldest state the gate keeps: history and records (30 days); everything else is younger.
OLDEST: Final = timedelta(seconds=max(RECORD_SECONDS, HISTORY_SECONDS, PREFILL_SECONDS))


@dataclass
class Counts:
    records: int = 0
    receipts: int = 0
    pending: int = 0
    fevers: int = 0
    temperatures: int = 0
    reminders: int = 0


def _role_keys(row: StoredRecord) -> tuple[list[str], list[str], list[str]]:
    """The record's person as check-in knew them: their own identities, the keys their fever marks, the keys whose
    marks staff are shown on their arrival (`lianfang.checkin.checkins.people.Person`)."""
    role = role_of(resident_id=row.resident_id, companion_of=row.companion_of, entered_by=row.entered_by)
    own = identities(
        resident_id=row.resident_id if role is Role.resident else None,
        id_card_hash=row.id_card_hash,
        phone_hash=row.phone_hash,
        name_hash=row.name_hash,
    )
    return own, *marked_by(role, own)


def _remeasure(row: StoredRecord) -> RemeasureOut | None:
    if row.remeasured_temperature is None or row.remeasured_by is None or row.remeasured_at is None:
        return None
    return RemeasureOut(
        value=row.remeasured_temperature,
        measured_by=row.remeasured_by,
        measured_by_name=row.remeasured_by_name,
        measured_at=in_beijing(row.remeasured_at),
    )


def _awaits_decision(record: CheckinRecord, config: CheckpointConfig | None) -> bool:
    """Whether the check-in kept the record's answers for the approval card: it waits for a decision, or it is a fever
    at an audited gate nobody has decided or re-measured yet."""
    if record.status is RecordStatus.pending:
        return True
    audited = config is not None and config.requires_audit
    return record.status is RecordStatus.abnormal and audited and record.remeasure is None


def _seconds_left(since: datetime, lasting: int, now: datetime) -> int:
    return int(lasting - (now - since).total_seconds())


@dataclass
class Replayer:
    """Turns records, oldest first, into the commands that leave their state in Redis. It remembers the fever marks it
    has seen, so each arrival gets the warnings staff saw when it happened."""

    pii: PiiCipher
    stay_minutes: Mapping[str, int]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    marks: dict[str, FeverMark] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    # The 离开提醒 scheduled so far (`keys.checkout_reminder_member`): a later check-in or check-out there moves or
    # cancels them, as it did when it happened.
    reminding: set[str] = field(default_factory=set)

    def group(self, rows: Sequence[StoredRecord], configs: dict[int, CheckpointConfig | None]) -> list[Command]:
        """The commands for records checked in at one moment (a check-in and its companions share it)."""
        commands: list[Command] = []
        mains = {row.id: row for row in rows if row.companion_of is None}
        made: dict[uuid.UUID, CheckinRecord] = {}
        for row in rows:
            config = configs.get(row.checkpoint_id)
            if row.temperature is None or row.temperature_measured_at is None:
                continue
            record = self._record(row, config)
            made[row.id] = record
            commands += self._record_commands(row, record, config)
            commands += self._person_commands(row, record, mains.get(row.companion_of) if row.companion_of else None)
        for main in mains.values():
            if main.id in made:
                companions = [row for row in rows if row.companion_of == main.id and row.id in made]
                commands += self._history_commands(main, companions)
                commands += self._receipt_commands(main, made, companions)
                commands += self._prefill_commands(main, companions)
                commands += self._stay_commands(main, companions, made, configs.get(main.checkpoint_id))
        return commands

    def _record(self, row: StoredRecord, config: CheckpointConfig | None) -> CheckinRecord:
        assert row.temperature is not None
        assert row.temperature_measured_at is not None
        status = RecordStatus(row.status)
        source = TemperatureSource(row.temperature_source or TemperatureSource.measured)
        measurement = Measurement(row.temperature, row.temperature_measured_at, source)
        remeasure = _remeasure(row)
        # A gate keeper's re-measure decides whether the arrival shows a fever now.
        decisive = measurement if remeasure is None else Measurement(remeasure.value, remeasure.measured_at)
        return CheckinRecord(
            id=row.id,
            checkpoint_id=row.checkpoint_id,
            checkpoint_code=config.code if config else "",
            checkpoint_name=config.name if config else "已删除的卡口",
            checkpoint_kind_label=config.kind_label if config else "",
            city_code=row.city_code,
            checked_at=in_beijing(row.checked_at),
            status=status,
            status_label=STATUS_LABELS[status],
            temperature=TemperatureOut(
                value=row.temperature, source=source, measured_at=in_beijing(measurement.measured_at)
            ),
            direction=Direction(row.direction),
            resident_id=row.resident_id,
            companion_of=row.companion_of,
            entered_by=row.entered_by,
            name_masked=row.name_masked,
            phone_masked=row.phone_masked,
            id_card_masked=row.id_card_masked,
            warnings=self._warnings(row, config, decisive),
            decided_by=row.decided_by,
            decided_at=in_beijing(row.decided_at) if row.decided_at else None,
            reason=row.decision_reason,
            distance_m=row.distance_m,
            outside_radius=row.outside_radius,
            remote_scan=bool(row.remote_scan),
            remeasure=remeasure,
        )

    def _warnings(
        self, row: StoredRecord, config: CheckpointConfig | None, decisive: Measurement
    ) -> list[ArrivalWarning]:
        """What staff were warned of at the arrival: the fevers marked before it, the place it was made from. A
        check-out is told to staff without warnings: it repeats the check-in's people and temperature."""
        if row.direction != Direction.entry.value:
            return []
        _, _, watched = _role_keys(row)
        recent = [
            mark
            for key in watched
            if (mark := self.marks.get(key)) is not None
            and mark.measured_at < row.checked_at
            and row.checked_at - mark.measured_at < timedelta(seconds=FEVER_SECONDS)
        ]
        place = Whereabouts(row.distance_m, row.outside_radius, row.distance_accuracy_m, bool(row.remote_scan))
        return (warnings_for(decisive, config, recent) if config is not None else []) + place_warnings(place)

    def _record_commands(
        self, row: StoredRecord, record: CheckinRecord, config: CheckpointConfig | None
    ) -> list[Command]:
        left = _seconds_left(row.checked_at, RECORD_SECONDS, self.now)
        if left <= 0:
            return []
        raw = record.__pydantic_serializer__.to_json(record)
        self.counts.records += 1
        commands: list[Command] = [("SET", record_key(row.id), raw, "EX", left)]
        if _seconds_left(row.checked_at, ARRIVALS_SECONDS, self.now) > 0:
            scored: list[bytes | str | int] = [arrival_score(row.checked_at), str(row.id)]
            commands += arrival_commands(row.checkpoint_id, scored, self.now)
        if record.status is RecordStatus.pending and _seconds_left(row.checked_at, PENDING_SECONDS, self.now) > 0:
            self.counts.pending += 1
            key = pending_key(row.checkpoint_id)
            commands += [("HSET", key, str(row.id), raw), ("EXPIRE", key, PENDING_SECONDS)]
        if _awaits_decision(record, config) and (left := _seconds_left(row.checked_at, PENDING_SECONDS, self.now)) > 0:
            # The form's answers, for the approval card, as the check-in kept them.
            form = b"%d|%d|" % (row.template_id, row.template_version)
            commands.append(("SET", answers_key(row.id), form + row.answers_encrypted.encode(), "EX", left))
        return commands

    def _history_commands(self, main: StoredRecord, companions: list[StoredRecord]) -> list[Command]:
        """As the check-in pushed them: its records newest first, the resident's own ahead of their companions'."""
        if main.resident_id is None or _seconds_left(main.checked_at, HISTORY_SECONDS, self.now) <= 0:
            return []
        history = history_key(main.resident_id)
        newest_first = [str(row.id) for row in reversed([main, *companions])]
        return [
            ("LPUSH", history, *newest_first),
            ("LTRIM", history, 0, HISTORY_LENGTH - 1),
            ("EXPIRE", history, HISTORY_SECONDS),
        ]

    def _person_commands(self, row: StoredRecord, record: CheckinRecord, main: StoredRecord | None) -> list[Command]:
        own, marked, _ = _role_keys(row)
        commands = self._temperature_commands(own, record)
        remeasure = record.remeasure
        if own and (remeasure is not None or record.status is RecordStatus.abnormal):
            left = _seconds_left(row.checked_at, FEVER_SECONDS, self.now)
            if left > 0:
                commands.append(("SET", identities_key(row.id), "|".join(own).encode(), "EX", left))
        if record.status is not RecordStatus.abnormal:
            # No fever, or one a gate keeper's re-measure lifted.
            return commands
        if remeasure is not None:
            # Confirmed by staff: it marks the person everywhere, from the re-measure on.
            mark = FeverMark(remeasure.value, remeasure.measured_at, record.checkpoint_name)
            marked = own
        else:
            declarer = None
            if main is not None:
                declarer = " ".join(part for part in (main.name_masked, main.phone_masked) if part) or "其他居民"
            mark = FeverMark(record.temperature.value, record.temperature.measured_at, record.checkpoint_name, declarer)
        for key in marked:
            self.marks[key] = mark
        left = _seconds_left(mark.measured_at, FEVER_SECONDS, self.now)
        if left > 0:
            self.counts.fevers += 1
            commands += [("SET", fever_key(key), mark.encode(), "EX", left) for key in marked]
        return commands

    def _temperature_commands(self, own: list[str], record: CheckinRecord) -> list[Command]:
        """The person's last temperature: the one measured at check-in, then a gate keeper's re-measure."""
        measured = []
        if record.temperature.source is TemperatureSource.measured:
            measured.append(Measurement(record.temperature.value, record.temperature.measured_at))
        if record.remeasure is not None:
            measured.append(Measurement(record.remeasure.value, record.remeasure.measured_at))
        commands: list[Command] = []
        for measurement in measured if own else []:
            left = _seconds_left(measurement.measured_at, TEMPERATURE_SECONDS, self.now)
            if left > 0:
                self.counts.temperatures += 1
                commands.append(("SET", temperature_key(own[0]), measurement.encode(), "EX", left))
        return commands

    def _receipt_commands(
        self, main: StoredRecord, made: dict[uuid.UUID, CheckinRecord], companions: list[StoredRecord]
    ) -> list[Command]:
        owner = main.resident_id or main.entered_by
        left = _seconds_left(main.checked_at, IDEMPOTENCY_SECONDS, self.now)
        if owner is None or left <= 0:
            return []
        receipt = CheckinReceipt.of(made[main.id], [made[row.id] for row in companions])
        self.counts.receipts += 1
        raw = owned_receipt(owner, receipt.__pydantic_serializer__.to_json(receipt))
        return [("SET", client_key(main.client_key), raw, "EX", left)]

    def _stay_commands(
        self,
        main: StoredRecord,
        companions: list[StoredRecord],
        made: dict[uuid.UUID, CheckinRecord],
        config: CheckpointConfig | None,
    ) -> list[Command]:
        """A resident's check-in opens a stay for the rest of its kind's assumed duration; their check-out there, which
        comes later in the stream, closes it."""
        if main.resident_id is None or main.entered_by is not None or config is None:
            return []
        key = stay_key(main.resident_id, main.checkpoint_id)
        member = checkout_reminder_member(main.resident_id, main.checkpoint_id)
        # Any check-in or check-out there ends the stay a reminder was scheduled for.
        commands: list[Command] = []
        if member in self.reminding:
            self.reminding.discard(member)
            commands += cancel_commands(main.resident_id, main.checkpoint_id)
        if main.direction == Direction.exit.value:
            return [("DEL", key), *commands]
        minutes = self.stay_minutes[config.kind]
        left = _seconds_left(main.checked_at, minutes * 60, self.now)
        if left <= 0:
            return commands
        checked_at = in_beijing(main.checked_at)
        until = checked_at + timedelta(minutes=minutes)
        people = [_stay_person(row, made[row.id]) for row in [main, *companions]]
        stay = OpenStay(entry_id=main.id, checked_at=checked_at, until=until, people=people)
        commands.append(("SET", key, stay.__pydantic_serializer__.to_json(stay), "EX", left))
        if main.remind_checkout:
            # Not due yet (the stay is open), so not sent yet: scheduled again, it is sent once.
            self.reminding.add(member)
            self.counts.reminders += 1
            commands += schedule_commands(
                CheckoutReminderDue(
                    resident_id=main.resident_id,
                    checkpoint_id=main.checkpoint_id,
                    checkpoint_name=config.name,
                    checked_at=checked_at,
                    due=until,
                )
            )
        return commands

    def _prefill_commands(self, main: StoredRecord, companions: list[StoredRecord]) -> list[Command]:
        if main.resident_id is None or main.entered_by is not None:
            return []
        if _seconds_left(main.checked_at, PREFILL_SECONDS, self.now) <= 0:
            return []
        stamp = b"%d|" % int(main.checked_at.timestamp() * 1000)
        fields: list[bytes | str] = [f"template:{main.template_id}", stamp + main.answers_encrypted.encode()]
        if companions:
            answers = [from_json(self.pii.decrypt(row.answers_encrypted)) for row in companions]
            fields += ["companions", stamp + self.pii.encrypt(to_json(answers).decode()).encode()]
        key = prefill_key(main.resident_id)
        return [("HSET", key, *fields), ("EXPIRE", key, PREFILL_SECONDS)]


def _stay_person(row: StoredRecord, record: CheckinRecord) -> StayPerson:
    """One person of an open stay as the check-in kept them, for their check-out to record again."""
    person = PersonalData(
        name_encrypted=row.name_encrypted,
        name_hash=row.name_hash,
        name_masked=row.name_masked,
        phone_encrypted=row.phone_encrypted,
        phone_hash=row.phone_hash,
        phone_masked=row.phone_masked,
        id_card_encrypted=row.id_card_encrypted,
        id_card_hash=row.id_card_hash,
        id_card_masked=row.id_card_masked,
    )
    return StayPerson(
        entry_id=row.id, person=person, answers_encrypted=row.answers_encrypted, temperature=record.temperature
    )
