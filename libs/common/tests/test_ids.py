from __future__ import annotations

import time

import pytest

from lianfang.common.ids import derived_id, new_id


def test_ids_are_version_7_and_sort_in_creation_order() -> None:
    ids = [new_id() for _ in range(5000)]

    assert all(value.version == 7 for value in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_the_creation_time_leads() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000

    assert before <= made.int >> 80 <= after + 1


def test_derived_ids_are_fixed_by_their_base_and_follow_it() -> None:
    base = new_id()
    derived = [derived_id(base, index) for index in range(1, 4)]

    assert derived == [derived_id(base, index) for index in range(1, 4)]
    assert [base, *derived] == sorted({base, *derived})
    assert all(value.version == 7 and value.variant == base.variant for value in derived)
    assert {value.int >> 64 for value in derived} == {base.int >> 64}


@pytest.mark.parametrize("index", [0, 256])
def test_derived_ids_are_numbered_from_1_to_255(index: int) -> None:
    with pytest.raises(ValueError, match="numbered 1 to 255"):
        derived_id(new_id(), index)
