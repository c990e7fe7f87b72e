"""Revocation takes effect: a disabled account, an unbound gate keeper, a logout, a password change and a reused refresh
token void the access tokens already handed out, on every service, within seconds — not when they expire."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .conftest import System
from .test_pipeline import setup_gate

pytestmark = pytest.mark.usefixtures("backend")

PASSWORD = "City-pass-2026"


async def refused(system: System, method: str, path: str, headers: dict[str, str], **body: Any) -> int:
    """The status `method path` ends at, once the revocation reached every instance (each reads them every 250 ms here);
    fails after 5 s."""
    status = 0
    for _ in range(100):
        status = (await system.client.request(method, path, headers=headers, **body)).status_code
        if status == 401:
            return status
        await asyncio.sleep(0.05)
    return status


async def city_admin(system: System, root: dict[str, str]) -> tuple[str, dict[str, str], dict[str, Any]]:
    city = await system.region(root, 1, "石家庄市", "130100")
    created = await system.add_account(
        root, {"username": "sjz", "password": PASSWORD, "name": "王科长", "region_id": city}
    )
    login = (await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": PASSWORD})).json()
    return created.json()["id"], {"Authorization": f"Bearer {login['access_token']}"}, login | {"city": city}


async def test_a_disabled_admin_creates_nothing_with_the_token_it_still_holds(system: System) -> None:
    root = await system.login()
    account_id, city, login = await city_admin(system, root)
    assert (
        await system.client.post(
            "/api/registry/regions", json={"parent_id": login["city"], "name": "长安区"}, headers=city
        )
    ).status_code == 201

    disabled = await system.client.patch(f"/api/auth/admins/{account_id}", json={"disabled": True}, headers=root)

    assert disabled.status_code == 200
    body = {"json": {"parent_id": login["city"], "name": "桥西区"}}
    assert await refused(system, "POST", "/api/registry/regions", city, **body) == 401
    # Each service reads the revocations on its own: trace may learn of it a moment after the registry.
    assert await refused(system, "GET", "/api/trace/records", city) == 401
    response = await system.client.get("/api/trace/records", headers=city)
    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")
    refreshed = await system.client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert refreshed.status_code in (401, 403)


async def test_a_gate_keeper_unbound_from_a_checkpoint_no_longer_reads_its_pending_list(system: System) -> None:
    root, gate, guard = await setup_gate(system)
    pending = f"/api/checkin/staff/checkpoints/{gate['id']}/pending"
    assert (await system.client.get(pending, headers=guard)).status_code == 200
    other = (
        await system.client.post(
            "/api/registry/checkpoints",
            json={
                "region_id": gate["region_id"],
                "name": "育才小区西门",
                "kind": "community",
                "template_id": gate["template_id"],
            },
            headers=root,
        )
    ).json()
    accounts = (await system.client.get("/api/auth/admins", params={"role": "staff"}, headers=root)).json()["items"]
    guard_id = next(item["id"] for item in accounts if item["username"] == "guard")

    await system.client.patch(f"/api/auth/admins/{guard_id}", json={"checkpoint_ids": [other["id"]]}, headers=root)

    assert await refused(system, "GET", pending, guard) == 401
    again = await system.login("guard", "Guard-pass-1")
    assert (await system.client.get(pending, headers=again)).status_code == 403
    assert (
        await system.client.get(f"/api/checkin/staff/checkpoints/{other['id']}/pending", headers=again)
    ).status_code == 200


async def test_logout_voids_the_access_token_of_that_login(system: System) -> None:
    root = await system.login()
    _, city, login = await city_admin(system, root)

    await system.client.post("/api/auth/logout", json={"refresh_token": login["refresh_token"]})

    assert await refused(system, "GET", "/api/auth/me", city) == 401


async def test_a_reused_refresh_token_voids_the_access_tokens_whoever_holds_them(system: System) -> None:
    root = await system.login()
    _, _, login = await city_admin(system, root)
    stolen = login["refresh_token"]
    renewed = (await system.client.post("/api/auth/refresh", json={"refresh_token": stolen})).json()
    holder = {"Authorization": f"Bearer {renewed['access_token']}"}
    assert (await system.client.get("/api/auth/me", headers=holder)).status_code == 200

    reused = await system.client.post("/api/auth/refresh", json={"refresh_token": stolen})

    assert reused.json()["code"] == "refresh_token_reused"
    assert await refused(system, "GET", "/api/auth/me", holder) == 401


async def test_a_password_change_voids_the_tokens_handed_out_before_it(system: System) -> None:
    root = await system.login()
    _, city, _ = await city_admin(system, root)

    changed = await system.client.post(
        "/api/auth/me/password", json={"old_password": PASSWORD, "new_password": "New-pass-2027"}, headers=city
    )

    assert changed.status_code == 204
    assert await refused(system, "GET", "/api/trace/records", city) == 401
    fresh = await system.login("sjz", "New-pass-2027")
    assert (await system.client.get("/api/trace/records", headers=fresh)).status_code == 200
