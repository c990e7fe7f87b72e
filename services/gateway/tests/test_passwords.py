"""Password hashing shares the CPU with the event loop that serves every other request."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lianfang.common.testing.plugin import TEST_HASHING
from lianfang.gateway.passwords import HASHING_NICENESS, Passwords
from lianfang.gateway.settings import GatewaySettings


def _niceness_by_thread() -> dict[int, int]:
    """This process's threads with their `nice` values (field 19 of /proc/<pid>/task/<tid>/stat)."""
    found: dict[int, int] = {}
    for task in Path("/proc/self/task").iterdir():
        stat = (task / "stat").read_text()
        found[int(task.name)] = int(stat[stat.rfind(")") + 2 :].split()[16])
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's")
async def test_hashes_run_below_the_event_loops_priority() -> None:
    loop_niceness = os.getpriority(os.PRIO_PROCESS, 0)

    passwords = Passwords(GatewaySettings())
    stored = await passwords.hash("Gate-keeper-2026")
    assert await passwords.verify(stored, "Gate-keeper-2026")
    assert not await passwords.verify(stored, "a wrong one")

    threads = _niceness_by_thread()
    lowered = [thread for thread, nice in threads.items() if nice == min(19, loop_niceness + HASHING_NICENESS)]
    assert 1 <= len(lowered) <= 2  # the hashers, two at most
    assert threads[os.getpid()] == loop_niceness  # the event loop's thread is where it was


async def test_production_hashes_at_rfc_9106s_memory_and_passes_in_one_lane_and_rehashes_any_other_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cheap = Passwords(GatewaySettings())
    for name in TEST_HASHING:
        monkeypatch.delenv(name)
    production = Passwords(GatewaySettings())
    four_lanes = Passwords(GatewaySettings(password_parallelism=4))  # the default before one lane

    stored = await production.hash("Gate-keeper-2026")
    stored_in_four_lanes = await four_lanes.hash("Gate-keeper-2026")

    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    assert await production.verify(stored, "Gate-keeper-2026")
    assert not await production.verify(None, "Gate-keeper-2026")
    assert not production.needs_rehash(stored)
    assert production.needs_rehash(await cheap.hash("Gate-keeper-2026"))
    assert await production.verify(stored_in_four_lanes, "Gate-keeper-2026")
    assert production.needs_rehash(stored_in_four_lanes)
