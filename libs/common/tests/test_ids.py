from __future__ import annotations

import time

from lianfang.common.ids import new_id


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
