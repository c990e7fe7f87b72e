"""登录日志: every password login and how it ended, read by the admins above the account."""

from __future__ import annotations

from typing import Any

import pytest

from lianfang.gateway.models import Account, AccountRole

from .conftest import ROOT_PASSWORD, Gateway

pytestmark = pytest.mark.usefixtures("backend")

PASSWORD = "Pass-word-2026"
BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120"}


async def add_account(
    gateway: Gateway, username: str, region_path: str, role: AccountRole = AccountRole.admin, *, disabled: bool = False
) -> None:
    async with gateway.database.sessionmaker() as session:
        session.add(
            Account(
                username=username,
                password_hash=await gateway.app.state.passwords.hash(PASSWORD),
                name=f"{username}的名字",
                role=role,
                region_id=int(region_path.strip("/").split("/")[-1]),
                region_path=region_path,
                checkpoint_ids=[11] if role is AccountRole.staff else [],
                disabled=disabled,
                failed_logins=0,
            )
        )
        await session.commit()


async def login(gateway: Gateway, username: str, password: str = PASSWORD) -> Any:
    return await gateway.client.post(
        "/api/auth/admin/login", json={"username": username, "password": password}, headers=BROWSER
    )


async def bearer(gateway: Gateway, username: str, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": f"Bearer {(await login(gateway, username, password)).json()['access_token']}"}


async def read(gateway: Gateway, headers: dict[str, str], **params: Any) -> Any:
    response = await gateway.client.get("/api/auth/login-log", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def outcomes(page: Any) -> list[tuple[str, str]]:
    return [(item["username"], item["outcome_label"]) for item in page["items"]]


async def test_successes_and_failures_are_logged_with_their_source_newest_first(gateway: Gateway) -> None:
    await add_account(gateway, "gatekeeper", "/1/2/5/", AccountRole.staff)
    await login(gateway, "gatekeeper", "wrong-pass-1")
    await login(gateway, "gatekeeper")
    await login(gateway, "nobody", "guess-pass-1")

    page = await read(gateway, await bearer(gateway, "admin", ROOT_PASSWORD))

    assert outcomes(page) == [
        ("admin", "登录成功"),
        ("nobody", "用户名或密码错误"),
        ("gatekeeper", "登录成功"),
        ("gatekeeper", "用户名或密码错误"),
    ]
    gatekeeper = page["items"][2]
    assert (gatekeeper["name"], gatekeeper["region_id"], gatekeeper["outcome"]) == ("gatekeeper的名字", 5, "succeeded")
    assert gatekeeper["address"] == "127.0.0.1"
    assert gatekeeper["user_agent"] == "Mozilla/5.0 (Windows NT 10.0) Chrome/120"
    assert (page["items"][1]["account_id"], page["items"][1]["region_id"]) == (None, None)


async def test_an_admin_reads_the_logins_of_its_subtree_only(gateway: Gateway) -> None:
    await add_account(gateway, "city", "/1/2/")
    await add_account(gateway, "other_city", "/1/3/")
    await add_account(gateway, "gatekeeper", "/1/2/5/", AccountRole.staff)
    await login(gateway, "gatekeeper")
    await login(gateway, "nobody", "guess-pass-1")
    await login(gateway, "admin", ROOT_PASSWORD)

    city = await read(gateway, await bearer(gateway, "city"))
    other = await read(gateway, await bearer(gateway, "other_city"))

    assert outcomes(city) == [("city", "登录成功"), ("gatekeeper", "登录成功")]
    assert outcomes(other) == [("other_city", "登录成功")]


async def test_lockouts_locked_tries_and_disabled_accounts_are_named(gateway: Gateway) -> None:
    await add_account(gateway, "city", "/1/2/")
    await add_account(gateway, "retired", "/1/2/6/", disabled=True)
    for attempt in range(6):
        await login(gateway, "city", f"wrong-pass-{attempt}")
    await login(gateway, "retired")
    root = await bearer(gateway, "admin", ROOT_PASSWORD)

    city = await read(gateway, root, username="city")
    refused = await read(gateway, root, outcome="disabled")

    assert [item["outcome_label"] for item in city["items"]] == [
        "锁定期间尝试",
        "连续错误，已锁定",
        *["用户名或密码错误"] * 4,
    ]
    assert outcomes(refused) == [("retired", "账号已停用")]


async def test_pages_follow_each_other_and_a_period_narrows_them(gateway: Gateway) -> None:
    for attempt in range(3):
        await login(gateway, "nobody", f"guess-pass-{attempt}")
    root = await bearer(gateway, "admin", ROOT_PASSWORD)

    first = await read(gateway, root, limit=2)
    second = await read(gateway, root, limit=2, cursor=first["next_cursor"])
    future = await read(gateway, root, **{"from": "2099-01-01T00:00:00+08:00"})

    assert len(first["items"]) == 2
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    assert {item["id"] for item in first["items"]}.isdisjoint(item["id"] for item in second["items"])
    assert future["items"] == []


async def test_only_admins_read_it_and_a_time_needs_its_offset(gateway: Gateway) -> None:
    await add_account(gateway, "gatekeeper", "/1/2/5/", AccountRole.staff)
    root = await bearer(gateway, "admin", ROOT_PASSWORD)

    staff = await gateway.client.get("/api/auth/login-log", headers=await bearer(gateway, "gatekeeper"))
    anonymous = await gateway.client.get("/api/auth/login-log")
    naive = await gateway.client.get("/api/auth/login-log", params={"from": "2026-12-01T00:00:00"}, headers=root)

    assert staff.status_code == 403
    assert anonymous.status_code == 401
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "from"
