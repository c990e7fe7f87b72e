"""The whole path in one process: a resident checks in, staff decide, the worker stores it, trace finds it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import Session, System

pytestmark = pytest.mark.usefixtures("backend")

ANSWERS = {"name": "李雷", "phone": "13812345678", "address": "3 号楼 2 单元", "is_resident": True}


async def setup_gate(system: Session) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    root = await system.login()
    county = await system.region(root, await system.region(root, 1, "石家庄市", "130100"), "长安区", "130102")
    templates = (await system.client.get("/api/registry/templates", headers=root)).json()["items"]
    gate_template = next(item["id"] for item in templates if item["builtin"] == "residential_gate")
    gate = (
        await system.client.post(
            "/api/registry/checkpoints",
            json={
                "region_id": county,
                "name": "育才小区东门",
                "kind": "community",
                "template_id": gate_template,
                "temp_valid_minutes": 240,
                "requires_audit": True,
            },
            headers=root,
        )
    ).json()
    await system.add_account(
        root,
        {
            "username": "guard",
            "password": "Guard-pass-1",
            "name": "门岗",
            "region_id": county,
            "role": "staff",
            "checkpoint_ids": [gate["id"]],
        },
    )
    return root, gate, await system.login("guard", "Guard-pass-1")


async def resident(system: Session, openid: str) -> dict[str, str]:
    token = (await system.client.post("/api/auth/dev/login", json={"openid": openid})).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def stored(system: System, headers: dict[str, str], expected: int) -> list[dict[str, Any]]:
    """The records trace sees, once the worker has stored `expected` of them (it runs beside the request, not in it)."""
    for _ in range(100):
        items: list[dict[str, Any]] = (await system.client.get("/api/trace/records", headers=headers)).json()["items"]
        if len(items) >= expected:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"{expected} records were not stored in time")


async def test_a_check_in_is_decided_stored_and_found(system: System) -> None:
    root, gate, guard = await setup_gate(system)
    person = await resident(system, "o-lilei")
    duty = (await system.client.get("/api/checkin/staff/checkpoints", headers=guard)).json()

    page = (await system.client.get(f"/api/checkin/checkpoints/{gate['code']}", headers=person)).json()
    receipt = await system.client.post(
        "/api/checkin/checkins",
        json={"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": ANSWERS, "temperature": 36.5},
        headers=person,
    )
    pending = (await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/pending", headers=guard)).json()
    decision = await system.client.post(
        f"/api/checkin/staff/checkins/{receipt.json()['id']}/decision", json={"decision": "approve"}, headers=guard
    )

    assert [item["name"] for item in duty["items"]] == ["育才小区东门"]
    assert page["checkpoint"]["name"] == "育才小区东门"
    assert page["temperature"]["required"] is True
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["status"] == "pending"
    assert [item["id"] for item in pending["items"]] == [receipt.json()["id"]]
    assert decision.status_code == 200, decision.text
    (record,) = await stored(system, root, 1)
    for _ in range(100):
        if record["status"] == "passed":
            break
        await asyncio.sleep(0.05)
        (record,) = await stored(system, root, 1)
    assert (record["id"], record["status"]) == (receipt.json()["id"], "passed")
    assert record["person"]["phone_masked"] == "138****5678"
    assert record["checkpoint_name"] == "育才小区东门"
    mine = (await system.client.get("/api/checkin/me/checkins", headers=person)).json()
    assert mine["items"][0]["status"] == "passed"


async def test_statistics_count_a_check_in_pending_until_staff_decide(system: System) -> None:
    root, gate, guard = await setup_gate(system)
    person = await resident(system, "o-xiaoming")
    receipt = await system.client.post(
        "/api/checkin/checkins",
        json={"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": ANSWERS, "temperature": 36.5},
        headers=person,
    )
    await stored(system, root, 1)
    # The hour of the check-in lies whole inside the period: it is counted from the hourly rollup, not from records.
    now = datetime.now(UTC)
    params = {"from": (now - timedelta(hours=2)).isoformat(), "to": (now + timedelta(hours=2)).isoformat()}

    async def counts() -> dict[str, int]:
        answer = (await system.client.get("/api/trace/stats", params=params, headers=root)).json()
        total: dict[str, int] = answer["total"]
        return total

    before = await counts()
    await system.client.post(
        f"/api/checkin/staff/checkins/{receipt.json()['id']}/decision", json={"decision": "reject"}, headers=guard
    )
    after = before
    for _ in range(100):
        if (after := await counts())["pending"] == 0:
            break
        await asyncio.sleep(0.05)

    assert before == {"records": 1, "abnormal": 0, "pending": 1}
    assert after == {"records": 1, "abnormal": 0, "pending": 0}


async def test_the_temperature_is_reused_and_a_fever_shows(system: System) -> None:
    root, gate, _ = await setup_gate(system)
    person = await resident(system, "o-hanmeimei")
    answers = ANSWERS | {"name": "韩梅梅", "phone": "13900001111"}

    first = await system.client.post(
        "/api/checkin/checkins",
        json={"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": answers, "temperature": 36.6},
        headers=person,
    )
    page = (await system.client.get(f"/api/checkin/checkpoints/{gate['code']}", headers=person)).json()
    second = await system.client.post(
        "/api/checkin/checkins",
        json={"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": answers},
        headers=person,
    )
    fever = await system.client.post(
        "/api/checkin/checkins",
        json={"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": answers, "temperature": 38.2},
        headers=person,
    )

    assert first.status_code == 201
    assert page["prefill"]["name"] == "韩梅梅"
    assert page["temperature"]["last"]["value"] == 36.6
    assert second.json()["temperature"]["source"] == "reused"
    assert fever.json()["status"] == "abnormal"
    records = await stored(system, root, 3)
    assert sorted(record["status"] for record in records) == ["abnormal", "pending", "pending"]


async def test_a_check_out_on_a_rescan_ends_everyones_stay_in_contact_screening(system: System) -> None:
    root, gate, _ = await setup_gate(system)
    parent = await resident(system, "o-hanmeimei")
    child = {**ANSWERS, "name": "李小明", "phone": ""}
    household = {
        "checkpoint_code": gate["code"],
        "client_id": str(uuid.uuid4()),
        "answers": ANSWERS,
        "temperature": 36.5,
        "companions": [{"answers": child, "temperature": 36.6}],
    }
    entry = (await system.client.post("/api/checkin/checkins", json=household, headers=parent)).json()
    offered = (await system.client.get(f"/api/checkin/checkpoints/{gate['code']}", headers=parent)).json()["stay"]

    left = await system.client.post(
        "/api/checkin/checkouts", json={"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4())}, headers=parent
    )
    await stored(system, root, 4)
    screened = await system.client.post(
        "/api/trace/contacts", json={"phone": "13812345678", "name": "李小明", "reason": "测试"}, headers=root
    )

    assert (offered["entry_id"], offered["names_masked"]) == (entry["id"], ["李*", "李**"])
    assert left.status_code == 201, left.text
    (stay,) = screened.json()["index"]["stays"]
    # The child's stay runs from their check-in to their check-out: nothing assumed.
    assert (stay["record_id"], stay["start_assumed"], stay["end_assumed"]) == (
        entry["companions"][0]["id"],
        False,
        False,
    )
    assert datetime.fromisoformat(stay["end"]) == datetime.fromisoformat(left.json()["checked_at"])
