"""Redis is a projection of the records store (issue 12): after Redis lost everything, every answer a resident, a gate
keeper or an admin gets is the one they got before, once the state is rebuilt; until then a 503 with Retry-After."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.allinone.cli import main
from lianfang.checkin.keys import EPOCH_KEY, REBUILD_LOCK_KEY
from lianfang.checkin.projection.standalone import rebuild_state
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.paths import CHECKIN

from .conftest import System
from .test_pipeline import resident, setup_gate, stored

pytestmark = pytest.mark.usefixtures("backend")

CHECKINS = "/api/checkin/checkins"
PARENT = {"name": "李雷", "phone": "13812345678", "address": "3 号楼 2 单元", "is_resident": True}
CHILD = {"name": "李小明", "phone": "13812345678", "address": "3 号楼 2 单元", "is_resident": True}
FEVERISH = {"name": "韩梅梅", "phone": "13900000002", "address": "5 号楼", "is_resident": True}
FAR = {"name": "林涛", "phone": "13900000003", "address": "7 号楼", "is_resident": True}
# The gate stands here; the far resident checks in 2.3 km north of it, from a picture of its code (album scene 1013).
GATE_POSITION = {"latitude": 38.04, "longitude": 114.51, "radius_m": 300}
FAR_AWAY = {"latitude": 38.0607, "longitude": 114.51, "accuracy": 50}


async def post(system: System, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await system.client.post(CHECKINS, json=body, headers=headers)


async def lose_redis(redis_url: str, *, hold: bool = False) -> None:
    """FLUSHALL, as after a restart without persistence; `hold` keeps the rebuild waiting behind a lock nobody holds
    (set in the same transaction, so no instance starts before it)."""
    cache: Redis = connect_cache(redis_url)
    try:
        async with cache.pipeline(transaction=True) as pipeline:
            pipeline.flushdb()
            if hold:
                pipeline.set(REBUILD_LOCK_KEY, b"held by the test", ex=60)
            await pipeline.execute()
    finally:
        await cache.aclose()


async def rebuilt_state(system: System) -> None:
    """Until `/readyz` says the gate's state is whole again (it names `gate-state` until then)."""
    for _ in range(600):
        if (await system.client.get("/readyz")).status_code == 200:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the gate's state was not rebuilt within 30 s")


async def test_after_redis_lost_everything_every_answer_is_the_one_given_before(system: System, redis_url: str) -> None:
    root, gate, guard = await setup_gate(system)
    placed = await system.client.patch(f"/api/registry/checkpoints/{gate['id']}", json=GATE_POSITION, headers=root)
    assert placed.status_code == 200, placed.text
    parent = await resident(system, "o-lilei")
    stranger = await resident(system, "o-stranger")
    feverish = await resident(system, "o-han")
    far = await resident(system, "o-lintao")
    household = {
        "checkpoint_code": gate["code"],
        "client_id": str(uuid.uuid4()),
        "answers": PARENT,
        "temperature": 36.5,
        "companions": [{"answers": CHILD, "temperature": 36.6}],
    }
    fever = {"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": FEVERISH, "temperature": 38.3}
    remote = {
        "checkpoint_code": gate["code"],
        "client_id": str(uuid.uuid4()),
        "answers": FAR,
        "temperature": 36.4,
        "location": FAR_AWAY,
        "location_consent": True,
        "scan_scene": 1013,
    }
    first = await post(system, parent, household)
    fevered = await post(system, feverish, fever)
    remoted = await post(system, far, remote)
    await stored(system, root, 4)
    before = {
        "pending": (
            await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/pending", headers=guard)
        ).json(),
        "answers": [
            (
                await system.client.get(f"/api/checkin/staff/checkins/{receipt.json()['id']}/answers", headers=guard)
            ).json()
            for receipt in (first, fevered, remoted)
        ],
        "history": (await system.client.get("/api/checkin/me/checkins", headers=parent)).json(),
        "page": (await system.client.get(f"/api/checkin/checkpoints/{gate['code']}", headers=parent)).json(),
        "arrivals": (
            await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/arrivals", headers=guard)
        ).json(),
    }

    await lose_redis(redis_url, hold=True)
    waiting = await post(system, parent, household)
    listing = await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/pending", headers=guard)
    ready = await system.client.get("/readyz")
    cache: Redis = connect_cache(redis_url)
    await cache.delete(REBUILD_LOCK_KEY)
    await cache.aclose()
    await rebuilt_state(system)

    replayed = await post(system, parent, household)
    foreign = await post(system, stranger, household)
    after = {
        "pending": (
            await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/pending", headers=guard)
        ).json(),
        "answers": [
            (
                await system.client.get(f"/api/checkin/staff/checkins/{receipt.json()['id']}/answers", headers=guard)
            ).json()
            for receipt in (first, fevered, remoted)
        ],
        "history": (await system.client.get("/api/checkin/me/checkins", headers=parent)).json(),
        "page": (await system.client.get(f"/api/checkin/checkpoints/{gate['code']}", headers=parent)).json(),
        "arrivals": (
            await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/arrivals", headers=guard)
        ).json(),
    }
    again = await post(system, feverish, fever | {"client_id": str(uuid.uuid4()), "temperature": 36.5})
    decided = await system.client.post(
        f"/api/checkin/staff/checkins/{first.json()['id']}/decision", json={"decision": "approve"}, headers=guard
    )

    # Until rebuilt: 503 with Retry-After, never a receipt that is not the stored one.
    for refused in (waiting, listing):
        assert (refused.status_code, refused.json()["code"]) == (503, "state_rebuilding")
        assert refused.headers["retry-after"] == "2"
    assert ready.status_code == 503
    # Once rebuilt: the first receipt, to its owner alone.
    assert (replayed.status_code, replayed.headers["idempotent-replayed"]) == (201, "true")
    assert replayed.json() == first.json()
    assert (foreign.status_code, foreign.json()["code"]) == (409, "client_id_taken")
    assert fevered.json()["status"] == "abnormal"
    # The pending arrivals with their warnings (far from the gate, from a picture), the form's answers on their approval
    # cards, today's arrivals at the gate, the resident's history, prefill and valid temperature are what they were.
    assert after == before
    assert len(after["arrivals"]["items"]) == 4
    far_card = next(item for item in after["pending"]["items"] if item["id"] == remoted.json()["id"])
    assert [warning["message"] for warning in far_card["warnings"]] == [
        "距卡口 2.3 公里（定位精度约 50 米）",
        "非现场扫码：通过相册或聊天中的图片打开",
    ]
    shown = [(answers["record_id"], bool(answers["answers"])) for answers in after["answers"]]
    assert shown == [(receipt.json()["id"], True) for receipt in (first, fevered, remoted)]
    assert after["page"]["temperature"]["required"] is False
    # The household is still offered 离开 (its stay at the gate is rebuilt too).
    assert after["page"]["stay"]["names_masked"] == ["李*", "李**"]
    # The fever still warns, and the pending arrival can be decided.
    pending = (await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/pending", headers=guard)).json()
    warned = next(item for item in pending["items"] if item["id"] == again.json()["id"])
    assert [warning["code"] for warning in warned["warnings"]] == ["recent_fever"]
    assert decided.status_code == 200, decided.text


async def test_a_check_out_reminder_from_before_redis_was_lost_is_sent_once_when_due(
    system: System, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, gate, _ = await setup_gate(system)
    staying, leaving, changed = [await resident(system, openid) for openid in ("o-stay", "o-leave", "o-changed")]

    def visit(answers: dict[str, Any], **more: Any) -> dict[str, Any]:
        return {"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": answers} | more

    subscribed = await post(system, staying, visit(PARENT, temperature=36.5, remind_checkout=True))
    await post(system, leaving, visit(FEVERISH, temperature=36.5, remind_checkout=True))
    checkout = await system.client.post(
        "/api/checkin/checkouts",
        json={"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4())},
        headers=leaving,
    )
    await post(system, changed, visit(FAR, temperature=36.5, remind_checkout=True))
    # Again, without the subscription: the stay it reminded of is over.
    await post(system, changed, visit(FAR, temperature=36.5))
    await stored(system, root, 5)
    checkin = system.app.services[CHECKIN].state
    reminded: list[Any] = []
    monkeypatch.setattr(checkin.notifier, "remind", reminded.append)

    await lose_redis(redis_url)
    await rebuilt_state(system)
    checked_at = datetime.fromisoformat(subscribed.json()["checked_at"])
    due = checked_at + timedelta(minutes=checkin.settings.stay_for_kind()["community"])
    early = await checkin.reminders.send_due(due - timedelta(seconds=1))
    await checkin.reminders.send_due(due)
    await checkin.reminders.send_due(due + timedelta(minutes=1))

    assert checkout.status_code == 201, checkout.text
    assert early == 0
    assert [(reminder.checkpoint_name, reminder.checked_at, reminder.due) for reminder in reminded] == [
        ("育才小区东门", checked_at, due)
    ]


async def test_the_state_is_rebuilt_when_its_epoch_alone_is_lost(system: System, redis_url: str) -> None:
    root, gate, _ = await setup_gate(system)
    person = await resident(system, "o-lilei")
    body = {"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": PARENT, "temperature": 36.5}
    first = await post(system, person, body)
    await stored(system, root, 1)
    cache: Redis = connect_cache(redis_url)
    await cache.delete(EPOCH_KEY)
    await cache.aclose()

    await rebuilt_state(system)
    replayed = await post(system, person, body)

    assert replayed.json() == first.json()


async def test_rebuild_state_on_demand_makes_the_state_again_from_the_store(system: System, redis_url: str) -> None:
    root, gate, guard = await setup_gate(system)
    person = await resident(system, "o-lilei")
    body = {"checkpoint_code": gate["code"], "client_id": str(uuid.uuid4()), "answers": PARENT, "temperature": 36.5}
    first = await post(system, person, body)
    await stored(system, root, 1)
    cache: Redis = connect_cache(redis_url)
    # A loss the epoch does not show: what an operator repairs with `lianfang rebuild-state`.
    await cache.delete(*[key async for key in cache.scan_iter("lianfang:checkin:pending:*")])
    await cache.aclose()
    settings = system.app.settings.checkin

    rebuilt = await rebuild_state(settings, registry_transport=system.app.internal)

    assert rebuilt is not None
    assert (rebuilt.counts.records, rebuilt.counts.receipts, rebuilt.counts.pending) == (1, 1, 1)
    await rebuilt_state(system)
    pending = await system.client.get(f"/api/checkin/staff/checkpoints/{gate['id']}/pending", headers=guard)
    assert [item["id"] for item in pending.json()["items"]] == [first.json()["id"]]
    assert (await post(system, person, body)).json() == first.json()


def test_rebuild_state_needs_the_records_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIANFANG_RECORDS_DATABASE_URL", raising=False)

    with pytest.raises(SystemExit, match="LIANFANG_RECORDS_DATABASE_URL is unset"):
        main(["rebuild-state"])
