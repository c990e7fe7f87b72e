from __future__ import annotations

import uuid

from lianfang.checkin.limits import ResidentLimiter


def test_a_burst_then_the_rate_then_a_wait_of_whole_seconds() -> None:
    limiter = ResidentLimiter(per_second=0.5, burst=3)
    person = uuid.uuid4()

    assert [limiter.wait_seconds(person, now=100.0) for _ in range(4)] == [0, 0, 0, 2]
    assert limiter.wait_seconds(person, now=101.0) == 1
    assert limiter.wait_seconds(person, now=102.0) == 0
    assert limiter.wait_seconds(uuid.uuid4(), now=102.0) == 0


def test_a_quiet_resident_gets_the_whole_burst_back_and_no_more() -> None:
    limiter = ResidentLimiter(per_second=1.0, burst=2)
    person = uuid.uuid4()
    for _ in range(2):
        limiter.wait_seconds(person, now=0.0)

    assert [limiter.wait_seconds(person, now=1000.0) for _ in range(3)] == [0, 0, 1]
