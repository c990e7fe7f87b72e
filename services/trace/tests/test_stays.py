"""The arithmetic of contact screening: stays from check-ins and check-outs, and how two stays overlap."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lianfang.common.contracts.checkpoints import DEFAULT_STAY_MINUTES
from lianfang.common.ids import new_id
from lianfang.trace.contacts.stays import Stay, overlap, person_keys, stays
from lianfang.trace.records.repository import RecordRow

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
MAX_STAY = timedelta(hours=12)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def row(
    minutes: float,
    *,
    direction: str = "in",
    checkpoint_id: int = 1,
    kind: str = "community",
    phone: str | None = "phone-a",
    id_card: str | None = None,
    resident_id: uuid.UUID | None = None,
    companion_of: uuid.UUID | None = None,
) -> RecordRow:
    return RecordRow(
        id=new_id(),
        checked_at=at(minutes),
        region_id=9,
        checkpoint_id=checkpoint_id,
        checkpoint_kind=kind,
        resident_id=resident_id,
        companion_of=companion_of,
        name_masked="张*",
        phone_masked="138****5678",
        phone_hash=phone,
        id_card_masked=None,
        id_card_hash=id_card,
        temperature=36.5,
        temperature_source="measured",
        direction=direction,
        status="passed",
    )


def spans(found: list[Stay]) -> list[tuple[datetime, datetime, bool, bool]]:
    return [(stay.start, stay.end, stay.start_assumed, stay.end_assumed) for stay in found]


def stays_of(*rows: RecordRow) -> list[Stay]:
    return stays(rows, DEFAULT_STAY_MINUTES, MAX_STAY)


class TestStays:
    def test_a_check_out_closes_the_check_in_before_it(self) -> None:
        assert spans(stays_of(row(0), row(95, direction="out"))) == [(at(0), at(95), False, False)]

    @pytest.mark.parametrize(("kind", "minutes"), sorted(DEFAULT_STAY_MINUTES.items()))
    def test_without_a_check_out_a_stay_lasts_the_kinds_assumed_duration(self, kind: str, minutes: int) -> None:
        assert spans(stays_of(row(0, kind=kind))) == [(at(0), at(minutes), False, True)]

    def test_the_next_check_in_there_ends_an_open_stay_early(self) -> None:
        found = stays_of(row(0, kind="hospital"), row(30, kind="hospital"))
        assert spans(found) == [(at(0), at(30), False, True), (at(30), at(150), False, True)]

    def test_a_check_out_too_long_after_is_not_paired(self) -> None:
        found = stays_of(row(0, kind="office"), row(13 * 60, kind="office", direction="out"))
        assert spans(found) == [(at(0), at(240), False, True), (at(13 * 60 - 240), at(13 * 60), True, False)]

    def test_a_check_out_without_its_check_in_starts_the_assumed_duration_before(self) -> None:
        assert spans(stays_of(row(60, kind="market", direction="out"))) == [(at(30), at(60), True, False)]

    def test_check_ins_and_outs_pair_per_person_and_per_checkpoint(self) -> None:
        found = stays_of(
            row(0, phone="a"),
            row(5, phone="b"),
            row(10, phone="a", checkpoint_id=2, direction="out"),
            row(20, phone="b", direction="out"),
            row(25, phone="a", direction="out"),
        )
        assert sorted(
            (stay.row.phone_hash, stay.checkpoint_id, *span) for stay, span in zip(found, spans(found), strict=True)
        ) == [
            ("a", 1, at(0), at(25), False, False),
            ("a", 2, at(0), at(10), True, False),
            ("b", 1, at(5), at(20), False, False),
        ]

    def test_a_check_out_pairs_with_a_check_in_of_the_same_person_known_by_other_keys(self) -> None:
        account = uuid.uuid4()
        found = stays_of(
            row(0, id_card="id-1", resident_id=account, phone=None),
            row(40, resident_id=account, phone=None, direction="out"),
        )
        assert spans(found) == [(at(0), at(40), False, False)]
        assert set(found[0].keys) == {"id_card:id-1", f"person_id:{account}"}

    def test_who_a_record_is_about(self) -> None:
        account, main = uuid.uuid4(), uuid.uuid4()
        companion = row(0, phone="p", resident_id=account, companion_of=main)
        anonymous = row(0, phone=None)
        assert person_keys(row(0, phone="p", id_card="i", resident_id=account)) == ("id_card:i", f"person_id:{account}")
        assert person_keys(companion) == ("phone:p",)
        assert person_keys(anonymous) == (f"record:{anonymous.id}",)


class TestOverlap:
    @pytest.fixture
    def index(self) -> Stay:
        (stay,) = stays_of(row(0, phone="index"), row(30, phone="index", direction="out"))
        return stay

    @pytest.mark.parametrize(
        ("start", "end", "window", "minutes", "gap"),
        [
            (20, 60, 30, 10.0, 0.0),
            (-15, 5, 30, 5.0, 0.0),
            (-60, 90, 0, 30.0, 0.0),
            (10, 20, 0, 10.0, 0.0),
            (40, 50, 30, 0.0, 10.0),
            (60, 70, 30, 0.0, 30.0),
            (-70, -20, 30, 0.0, 20.0),
            (30, 40, 0, 0.0, 0.0),
        ],
    )
    def test_minutes_together_and_apart(
        self, index: Stay, start: int, end: int, window: int, minutes: float, gap: float
    ) -> None:
        (other,) = stays_of(row(start, phone="other"), row(end, phone="other", direction="out"))
        found = overlap(index, other, timedelta(minutes=window))
        assert found is not None
        assert (found.minutes, found.gap) == (minutes, gap)

    @pytest.mark.parametrize(("start", "end", "window"), [(61, 70, 30), (35, 40, 4), (-50, -31, 30)])
    def test_a_stay_beyond_the_window_is_no_contact(self, index: Stay, start: int, end: int, window: int) -> None:
        (other,) = stays_of(row(start, phone="other"), row(end, phone="other", direction="out"))
        assert overlap(index, other, timedelta(minutes=window)) is None

    def test_a_stay_at_another_checkpoint_is_no_contact(self, index: Stay) -> None:
        (other,) = stays_of(row(0, phone="other", checkpoint_id=2))
        assert overlap(index, other, timedelta(minutes=30)) is None
