"""Check-ins and decisions land in the records store once each, whatever order and however often they arrive."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lianfang.common.contracts.events import PersonalData, RecordStatus

from .conftest import CITY, Pipeline, created, decided, handled


class TestCheckins:
    async def test_a_batch_of_checkins_is_stored_with_every_field(self, pipeline: Pipeline) -> None:
        events = [
            created(checked_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC) + timedelta(seconds=n)) for n in range(120)
        ]
        first = events[0]
        async with pipeline.running() as worker:
            await pipeline.publish(*events)
            await pipeline.stored(120)
        rows = await pipeline.records()
        assert [row.id for row in rows] == [event.id for event in events]
        row = rows[0]
        assert (row.city_code, row.client_key, row.checked_at) == (CITY, first.client_key, first.checked_at)
        assert (row.province_id, row.city_id, row.county_id, row.township_id, row.unit_id) == (1, 7, 42, 88, 91)
        assert (row.region_id, row.checkpoint_id, row.checkpoint_kind) == (91, 4201, "community")
        assert (row.name_masked, row.name_hash, row.phone_masked, row.phone_hash, row.id_card_hash) == (
            "张*",
            "c" * 64,
            "138****5678",
            "a" * 64,
            None,
        )
        assert row.temperature == 36.6
        assert (row.temperature_source, row.direction, row.status) == ("measured", "in", "passed")
        assert (row.decided_by, row.decided_at, row.decision_reason) == (None, None, None)
        assert row.stored_at.tzinfo is UTC
        assert worker.stats.totals.stored == 120
        assert worker.stats.totals.duplicates == 0
        assert await pipeline.depth() == 0

    async def test_a_temperature_is_stored_to_one_decimal(self, pipeline: Pipeline) -> None:
        events = [created(temperature=value) for value in (37.29999, 36.65001, 38.0)]
        async with pipeline.running():
            await pipeline.publish(*events)
            await pipeline.stored(3)
        assert sorted(row.temperature for row in await pipeline.records()) == [36.7, 37.3, 38.0]

    async def test_checkins_delivered_again_are_stored_once(self, pipeline: Pipeline) -> None:
        events = [created() for _ in range(30)]
        async with pipeline.running():
            await pipeline.publish(*events)
            await pipeline.stored(30)
        async with pipeline.running() as worker:
            await pipeline.publish(*events, *events[:10])
            await handled(worker, 40)
        assert await pipeline.count() == 30
        assert await pipeline.keys() == 30
        assert worker.stats.totals.duplicates == 40

    async def test_a_retried_checkin_with_a_new_id_is_stored_once(self, pipeline: Pipeline) -> None:
        """The check-in service makes a new record id for a retry it did not recognise (Redis was down); the client
        key is the same, in one batch or in two."""
        client_key = uuid.uuid4()
        first = created(client_key=client_key)
        again_in_the_batch = created(client_key=client_key, checked_at=first.checked_at + timedelta(seconds=3))
        later = created(client_key=client_key, checked_at=first.checked_at + timedelta(seconds=40))
        async with pipeline.running() as worker:
            await pipeline.publish(first, again_in_the_batch)
            await pipeline.stored(1)
            await pipeline.publish(later)
            await handled(worker, 2)
        assert [row.id for row in await pipeline.records()] == [first.id]

    async def test_the_same_client_key_in_two_cities_is_two_checkins(self, pipeline: Pipeline) -> None:
        client_key = uuid.uuid4()
        async with pipeline.running():
            await pipeline.publish(created(client_key=client_key), created(client_key=client_key, city_code="1302"))
            await pipeline.stored(2)

    async def test_a_person_entered_by_hand_without_phone_is_stored(self, pipeline: Pipeline) -> None:
        staff = uuid.uuid4()
        event = created(
            resident_id=None,
            entered_by=staff,
            person=PersonalData(name_encrypted="k1.eA==", name_masked="李*", id_card_hash="b" * 64),
            temperature=None,
            temperature_source=None,
            temperature_measured_at=None,
        )
        async with pipeline.running():
            await pipeline.publish(event)
            await pipeline.stored(1)
        (row,) = await pipeline.records()
        assert (row.resident_id, row.entered_by, row.phone_hash, row.id_card_hash) == (None, staff, None, "b" * 64)
        assert (row.temperature, row.temperature_source, row.temperature_measured_at) == (None, None, None)


class TestDecisions:
    async def test_a_decision_after_its_record_updates_the_status(self, pipeline: Pipeline) -> None:
        record = created(status=RecordStatus.pending)
        decision = decided(record, RecordStatus.rejected, reason="未戴口罩")
        async with pipeline.running() as worker:
            await pipeline.publish(record)
            await pipeline.stored(1)
            await pipeline.publish(decision)
            await handled(worker, 2)
        (row,) = await pipeline.records()
        assert (row.status, row.decided_by, row.decided_at, row.decision_reason) == (
            "rejected",
            decision.decided_by,
            decision.decided_at,
            "未戴口罩",
        )
        assert worker.stats.totals.decisions_applied == 1

    async def test_a_decision_before_its_record_is_applied_when_it_arrives(self, pipeline: Pipeline) -> None:
        record = created(status=RecordStatus.pending)
        decision = decided(record, RecordStatus.passed)
        async with pipeline.running() as worker:
            await pipeline.publish(decision)
            await handled(worker, 1)
            assert [row.record_id for row in await pipeline.pending()] == [record.id]
            await pipeline.publish(record)
            await pipeline.stored(1)
        (row,) = await pipeline.records()
        assert (row.status, row.decided_by) == ("passed", decision.decided_by)
        assert await pipeline.pending() == []
        assert (worker.stats.totals.decisions_deferred, worker.stats.totals.decisions_applied) == (1, 1)

    async def test_a_record_and_its_decision_in_one_batch(self, pipeline: Pipeline) -> None:
        record = created(status=RecordStatus.pending)
        async with pipeline.running() as worker:
            await pipeline.publish(record, decided(record, RecordStatus.rejected))
            await handled(worker, 2)
        (row,) = await pipeline.records()
        assert row.status == "rejected"
        assert await pipeline.pending() == []

    async def test_the_latest_decision_wins_whatever_the_order_of_arrival(self, pipeline: Pipeline) -> None:
        now = datetime.now(UTC)
        early, late, stored_first = (created(status=RecordStatus.pending) for _ in range(3))
        reject = decided(early, RecordStatus.rejected, decided_at=now)
        corrected = decided(early, RecordStatus.passed, decided_at=now + timedelta(minutes=1))
        async with pipeline.running() as worker:
            await pipeline.publish(stored_first)
            await pipeline.stored(1)
            # The correction overtakes the first decision: before its record, beside it and after it.
            await pipeline.publish(corrected, reject)
            await pipeline.publish(
                decided(late, RecordStatus.passed, decided_at=now + timedelta(minutes=1)),
                late,
                decided(late, RecordStatus.rejected, decided_at=now),
            )
            await pipeline.publish(
                decided(stored_first, RecordStatus.passed, decided_at=now + timedelta(minutes=1)),
                decided(stored_first, RecordStatus.rejected, decided_at=now),
            )
            await pipeline.publish(early)
            await handled(worker, 9)
        assert {row.id: row.status for row in await pipeline.records()} == {
            early.id: "passed",
            late.id: "passed",
            stored_first.id: "passed",
        }
        assert await pipeline.pending() == []

    async def test_a_decision_delivered_twice_changes_nothing_more(self, pipeline: Pipeline) -> None:
        record = created(status=RecordStatus.pending)
        decision = decided(record, RecordStatus.rejected)
        async with pipeline.running() as worker:
            await pipeline.publish(record, decision)
            await handled(worker, 2)
            await pipeline.publish(decision)
            await handled(worker, 3)
        (row,) = await pipeline.records()
        assert row.status == "rejected"
        assert worker.stats.totals.decisions_stale == 1
