"""A fever taken again by a gate keeper: the store keeps the first reading and the re-measure, and the later one's
status; an approval after it keeps the re-measure, in whatever order the events arrive."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from lianfang.common.contracts.events import CheckinCreated, CheckinDecided, RecordStatus, Remeasure

from .conftest import Pipeline, created, decided, handled


def remeasured(record: CheckinCreated, temperature: float, status: RecordStatus, at: datetime) -> CheckinDecided:
    staff = uuid.uuid4()
    remeasure = Remeasure(temperature=temperature, measured_by=staff, measured_by_name="王卫", measured_at=at)
    return decided(record, status, schema_version=2, decided_by=staff, decided_at=at, remeasure=remeasure)


def kept(row: Any) -> tuple[object, ...]:
    return (row.status, row.temperature, row.remeasured_temperature, row.remeasured_by_name, row.remeasured_at)


class TestRemeasures:
    async def test_the_record_keeps_both_temperatures_and_the_later_decides(self, pipeline: Pipeline) -> None:
        at = datetime.now(UTC)
        record = created(temperature=38.2, status=RecordStatus.abnormal)
        remeasure = remeasured(record, 36.6, RecordStatus.passed, at)
        async with pipeline.running() as worker:
            await pipeline.publish(record)
            await pipeline.stored(1)
            await pipeline.publish(remeasure)
            await handled(worker, 2)
        (row,) = await pipeline.records()
        assert kept(row) == ("passed", 38.2, 36.6, "王卫", at)
        assert (row.remeasured_by, row.decided_by, row.decided_at) == (remeasure.decided_by, remeasure.decided_by, at)

    async def test_a_confirmed_fever_stays_abnormal(self, pipeline: Pipeline) -> None:
        at = datetime.now(UTC)
        record = created(temperature=38.2, status=RecordStatus.abnormal)
        async with pipeline.running() as worker:
            await pipeline.publish(record, remeasured(record, 38.5, RecordStatus.abnormal, at))
            await handled(worker, 2)
        (row,) = await pipeline.records()
        assert kept(row) == ("abnormal", 38.2, 38.5, "王卫", at)

    async def test_an_approval_after_a_remeasure_keeps_it_in_any_order(self, pipeline: Pipeline) -> None:
        at = datetime.now(UTC)
        stored_first, together, overtaken = (created(temperature=38.0, status=RecordStatus.abnormal) for _ in range(3))
        async with pipeline.running() as worker:
            await pipeline.publish(stored_first)
            await pipeline.stored(1)
            # Applied one after the other to a stored record.
            await pipeline.publish(remeasured(stored_first, 36.8, RecordStatus.pending, at))
            await handled(worker, 2)
            await pipeline.publish(decided(stored_first, RecordStatus.passed, decided_at=at + timedelta(seconds=30)))
            # Approved in the same batch, the approval first.
            await pipeline.publish(
                together,
                decided(together, RecordStatus.passed, decided_at=at + timedelta(seconds=30)),
                remeasured(together, 36.8, RecordStatus.pending, at),
            )
            # Both before the record: kept waiting, then applied.
            await pipeline.publish(
                remeasured(overtaken, 36.8, RecordStatus.pending, at),
                decided(overtaken, RecordStatus.rejected, decided_at=at + timedelta(seconds=30)),
            )
            await handled(worker, 8)
            assert {row.record_id: row.remeasured_temperature for row in await pipeline.pending()} == {
                overtaken.id: 36.8
            }
            await pipeline.publish(overtaken)
            await pipeline.stored(3)
        rows = {row.id: kept(row) for row in await pipeline.records()}
        assert rows == {
            stored_first.id: ("passed", 38.0, 36.8, "王卫", at),
            together.id: ("passed", 38.0, 36.8, "王卫", at),
            overtaken.id: ("rejected", 38.0, 36.8, "王卫", at),
        }
        assert await pipeline.pending() == []
