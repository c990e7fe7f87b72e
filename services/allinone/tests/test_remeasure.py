"""复测 end to end: the gate keeper's re-measure reaches the records store beside the first reading, trace shows both,
and the gate's state rebuilt from the store after Redis lost everything shows the same (the lifted mark, the confirmed
one, the record's status)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from .conftest import System
from .test_pipeline import resident, setup_gate
from .test_projection import lose_redis, rebuilt_state

pytestmark = pytest.mark.usefixtures("backend")

CHECKINS = "/api/checkin/checkins"
CLEARED = {"name": "李雷", "phone": "13812345678", "address": "3 号楼 2 单元", "is_resident": True}
CONFIRMED = {"name": "韩梅梅", "phone": "13900000002", "address": "5 号楼", "is_resident": True}


async def arrive(
    system: System, person: dict[str, str], gate: dict[str, Any], answers: dict[str, Any], t: float
) -> Any:
    body = {"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": answers, "temperature": t}
    response = await system.client.post(CHECKINS, json=body, headers=person)
    assert response.status_code == 201, response.text
    return response.json()


async def settled(system: System, root: dict[str, str], wanted: dict[str, str]) -> dict[str, Any]:
    """Trace's records once each record of `wanted` has the status given there and its re-measure."""
    for _ in range(200):
        items = (await system.client.get("/api/trace/records", headers=root)).json()["items"]
        found = {item["id"]: item for item in items}
        if all(
            found.get(key, {}).get("status") == status and found[key]["remeasure"] for key, status in wanted.items()
        ):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the records store did not reach {wanted}")


async def test_the_store_trace_and_a_rebuilt_state_keep_both_readings(system: System, redis_url: str) -> None:
    root, gate, guard = await setup_gate(system)
    cleared, confirmed = await resident(system, "o-lilei"), await resident(system, "o-han")
    first = await arrive(system, cleared, gate, CLEARED, 38.3)
    second = await arrive(system, confirmed, gate, CONFIRMED, 38.1)
    staff = "/api/checkin/staff"

    waiting = await system.client.post(
        f"{staff}/checkins/{first['id']}/remeasure", json={"temperature": 36.6}, headers=guard
    )
    await system.client.post(f"{staff}/checkins/{first['id']}/decision", json={"decision": "approve"}, headers=guard)
    fever = await system.client.post(
        f"{staff}/checkins/{second['id']}/remeasure", json={"temperature": 38.4}, headers=guard
    )
    records = await settled(system, root, {first["id"]: "passed", second["id"]: "abnormal"})
    detail = (await system.client.get(f"/api/trace/records/{first['id']}", headers=root)).json()
    arrivals = f"{staff}/checkpoints/{gate['id']}/arrivals"
    before = (await system.client.get(arrivals, headers=guard)).json()

    await lose_redis(redis_url)
    await rebuilt_state(system)
    after = (await system.client.get(arrivals, headers=guard)).json()
    page = (await system.client.get(f"/api/checkin/checkpoints/{gate['code']}", headers=cleared)).json()
    again = await arrive(system, cleared, gate, CLEARED, 36.5)
    warned = await arrive(system, confirmed, gate, CONFIRMED, 36.5)

    # At an audited gate a cleared fever waits for the keeper's decision.
    assert (waiting.json()["status"], fever.json()["status"]) == ("pending", "abnormal")
    assert (records[first["id"]]["temperature"], records[first["id"]]["remeasure"]["temperature"]) == (38.3, 36.6)
    assert (records[second["id"]]["temperature"], records[second["id"]]["remeasure"]["temperature"]) == (38.1, 38.4)
    assert (detail["temperature"], detail["remeasure"]["temperature"]) == (38.3, 36.6)
    assert detail["remeasure"]["measured_by_name"] == "门岗"
    # The rebuilt board is the board before: statuses, both readings, who re-measured, the warnings.
    assert after == before
    shown = {item["id"]: item for item in after["items"]}
    assert (shown[first["id"]]["status"], shown[first["id"]]["remeasure"]["value"]) == ("passed", 36.6)
    assert (shown[second["id"]]["status"], shown[second["id"]]["remeasure"]["value"]) == ("abnormal", 38.4)
    # The re-measure is the last temperature; the lifted mark stays lifted, the confirmed one warns.
    assert page["temperature"]["last"]["value"] == 36.6
    board = {item["id"]: item for item in (await system.client.get(arrivals, headers=guard)).json()["items"]}
    assert [warning["code"] for warning in board[again["id"]]["warnings"]] == []
    (warning,) = board[warned["id"]]["warnings"]
    assert (warning["code"], warning["message"].endswith("38.4 ℃")) == ("recent_fever", True)
