"""The gate's state in Redis, made again from the records store: what a group of records that share a moment leaves in
Redis, exactly as the check-ins and decisions that made them left it (the key layout is `lianfang.checkin.keys`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic_core import from_json, to_json

from lianfang.checkin.arrivals import arrival_commands, arrival_score
from lianfang.checkin.checkins.people import FeverMark, Measurement, declared, identities, local, warnings_for
from lianfang.checkin.checkins.repository import owned_receipt
from lianfang.checkin.checkins.schemas import (
    CheckinReceipt,
    CheckinRecord,
    CheckpointRef,
    CompanionReceipt,
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
    client_key,
    fever_key,
    history_key,
    pending_key,
    prefill_key,
    record_key,
    temperature_key,
)
from lianfang.checkin.projection.repository import StoredRecord
from lianfang.checkin.resp import Command
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.events import STATUS_LABELS, Direction, RecordStatus, TemperatureSource
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


def _role_keys(row: StoredRecord) -> tuple[list[str], list[str], list[str]]:
    """The record's person as check-in knew them: their own identities, the keys their fever marks, the keys whose
    marks staff are shown on their arrival (`lianfang.checkin.checkins.people.Person`)."""
    resident = row.resident_id if row.companion_of is None and row.entered_by is None else None
    own = identities(
        resident_id=resident, id_card_hash=row.id_card_hash, phone_hash=row.phone_hash, name_hash=row.name_hash
    )
    if resident is not None:
        return own, own[:1], own
    if row.entered_by is not None:
        return own, own, own
    return own, [declared(identity) for identity in own], own + [declared(identity) for identity in own]


def _seconds_left(since: datetime, lasting: int, now: datetime) -> int:
    return int(lasting - (now - since).total_seconds())


@dataclass
class Replayer:
    """Turns records, oldest first, into the commands that leave their state in Redis. It remembers the fever marks it
    has seen, so each arrival gets the warnings staff saw when it happened."""

    pii: PiiCipher
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    marks: dict[str, FeverMark] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)

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
            commands += self._record_commands(row, record)
            commands += self._person_commands(row, record, mains.get(row.companion_of) if row.companion_of else None)
        for main in mains.values():
            if main.id in made:
                companions = [row for row in rows if row.companion_of == main.id and row.id in made]
                commands += self._history_commands(main, companions)
                commands += self._receipt_commands(main, made, companions)
                commands += self._prefill_commands(main, companions)
        return commands

    def _record(self, row: StoredRecord, config: CheckpointConfig | None) -> CheckinRecord:
        assert row.temperature is not None
        assert row.temperature_measured_at is not None
        status = RecordStatus(row.status)
        source = TemperatureSource(row.temperature_source or TemperatureSource.measured)
        measurement = Measurement(row.temperature, row.temperature_measured_at, source)
        _, _, watched = _role_keys(row)
        recent = [
            mark
            for key in watched
            if (mark := self.marks.get(key)) is not None
            and mark.measured_at < row.checked_at
            and row.checked_at - mark.measured_at < timedelta(seconds=FEVER_SECONDS)
        ]
        warnings = warnings_for(measurement, config, recent) if config is not None else []
        return CheckinRecord(
            id=row.id,
            checkpoint_id=row.checkpoint_id,
            checkpoint_code=config.code if config else "",
            checkpoint_name=config.name if config else "已删除的卡口",
            checkpoint_kind_label=config.kind_label if config else "",
            city_code=row.city_code,
            checked_at=local(row.checked_at),
            status=status,
            status_label=STATUS_LABELS[status],
            temperature=TemperatureOut(
                value=row.temperature, source=source, measured_at=local(measurement.measured_at)
            ),
            direction=Direction(row.direction),
            resident_id=row.resident_id,
            companion_of=row.companion_of,
            entered_by=row.entered_by,
            name_masked=row.name_masked,
            phone_masked=row.phone_masked,
            id_card_masked=row.id_card_masked,
            warnings=warnings,
            decided_by=row.decided_by,
            decided_at=local(row.decided_at) if row.decided_at else None,
            reason=row.decision_reason,
        )

    def _record_commands(self, row: StoredRecord, record: CheckinRecord) -> list[Command]:
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
        measured_at = record.temperature.measured_at
        commands: list[Command] = []
        if record.temperature.source is TemperatureSource.measured and own:
            left = _seconds_left(measured_at, TEMPERATURE_SECONDS, self.now)
            if left > 0:
                self.counts.temperatures += 1
                measurement = Measurement(record.temperature.value, measured_at)
                commands.append(("SET", temperature_key(own[0]), measurement.encode(), "EX", left))
        if record.status is RecordStatus.abnormal:
            declarer = None
            if main is not None:
                declarer = " ".join(part for part in (main.name_masked, main.phone_masked) if part) or "其他居民"
            mark = FeverMark(record.temperature.value, measured_at, record.checkpoint_name, declarer)
            for key in marked:
                self.marks[key] = mark
            left = _seconds_left(measured_at, FEVER_SECONDS, self.now)
            if left > 0:
                self.counts.fevers += 1
                commands += [("SET", fever_key(key), mark.encode(), "EX", left) for key in marked]
        return commands

    def _receipt_commands(
        self, main: StoredRecord, made: dict[uuid.UUID, CheckinRecord], companions: list[StoredRecord]
    ) -> list[Command]:
        owner = main.resident_id or main.entered_by
        left = _seconds_left(main.checked_at, IDEMPOTENCY_SECONDS, self.now)
        if owner is None or left <= 0:
            return []
        record = made[main.id]
        receipt = CheckinReceipt(
            id=record.id,
            status=record.status,
            status_label=record.status_label,
            temperature=record.temperature,
            checked_at=record.checked_at,
            direction=record.direction,
            checkpoint=CheckpointRef(
                code=record.checkpoint_code, name=record.checkpoint_name, kind_label=record.checkpoint_kind_label
            ),
            name_masked=record.name_masked,
            companions=[
                CompanionReceipt(
                    id=made[row.id].id,
                    status=made[row.id].status,
                    status_label=made[row.id].status_label,
                    temperature=made[row.id].temperature,
                    name_masked=made[row.id].name_masked,
                )
                for row in companions
            ],
        )
        self.counts.receipts += 1
        raw = owned_receipt(owner, receipt.__pydantic_serializer__.to_json(receipt))
        return [("SET", client_key(main.client_key), raw, "EX", left)]

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
