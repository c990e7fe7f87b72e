"""Account management across the gateway and the registry: a superior adds subordinates, never above or beside itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import System

pytestmark = pytest.mark.usefixtures("backend")

PASSWORD = "City-pass-2026"


@dataclass
class Tree:
    root: dict[str, str]
    shijiazhuang: int
    changan: int
    tangshan: int


@pytest.fixture
async def tree(system: System) -> Tree:
    root = await system.login()
    shijiazhuang = await system.region(root, 1, "石家庄市", "130100")
    changan = await system.region(root, shijiazhuang, "长安区", "130102")
    tangshan = await system.region(root, 1, "唐山市", "130200")
    return Tree(root, shijiazhuang, changan, tangshan)


def account(username: str, region_id: int, **extra: Any) -> dict[str, Any]:
    return {"username": username, "password": PASSWORD, "name": "王科长", "region_id": region_id} | extra


async def create(system: System, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return await system.add_account(headers, body)


class TestCreate:
    async def test_the_root_admin_adds_a_city_admin_who_then_logs_in(self, system: System, tree: Tree) -> None:
        response = await create(system, tree.root, account("sjz", tree.shijiazhuang, phone="13812345678"))

        assert response.status_code == 201
        created = response.json()
        assert (created["role"], created["region_id"]) == ("admin", tree.shijiazhuang)
        assert created["region_path"] == f"/1/{tree.shijiazhuang}/"
        assert created["phone_masked"] == "138****5678"
        me = (await system.client.get("/api/auth/me", headers=await system.login("sjz", PASSWORD))).json()
        assert me["region_id"] == tree.shijiazhuang

    async def test_a_city_admin_adds_a_county_admin_below_it(self, system: System, tree: Tree) -> None:
        await create(system, tree.root, account("sjz", tree.shijiazhuang))
        city = await system.login("sjz", PASSWORD)

        response = await create(system, city, account("changan", tree.changan))

        assert response.status_code == 201

    @pytest.mark.parametrize("where", ["beside", "above"])
    async def test_nobody_adds_accounts_beside_or_above_their_region(
        self, system: System, tree: Tree, where: str
    ) -> None:
        await create(system, tree.root, account("sjz", tree.shijiazhuang))
        city = await system.login("sjz", PASSWORD)

        response = await create(system, city, account("intruder", tree.tangshan if where == "beside" else 1))

        assert response.status_code == 403
        assert response.json()["detail"] == "该地区不在您的管辖范围内"

    async def test_an_unknown_region_is_named(self, system: System, tree: Tree) -> None:
        response = await create(system, tree.root, account("ghost", 9999))

        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": "region_id", "message": "地区不存在", "code": "not_found"}]

    async def test_every_bad_field_is_named_and_nothing_is_created(self, system: System, tree: Tree) -> None:
        body = account("x", tree.shijiazhuang, password="short", phone="12345")

        response = await system.client.post("/api/auth/admins", json=body, headers=tree.root)

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["username", "password", "phone"]
        listing = await system.client.get("/api/auth/admins", headers=tree.root)
        assert [item["username"] for item in listing.json()["items"]] == ["admin"]

    async def test_a_username_is_taken_once(self, system: System, tree: Tree) -> None:
        await create(system, tree.root, account("sjz", tree.shijiazhuang))

        response = await create(system, tree.root, account("sjz", tree.tangshan))

        assert response.status_code == 409
        assert response.json()["code"] == "username_taken"

    async def test_staff_must_be_bound_to_existing_checkpoints(self, system: System, tree: Tree) -> None:
        unbound = await create(system, tree.root, account("guard", tree.changan, role="staff"))
        unknown = await create(system, tree.root, account("guard", tree.changan, role="staff", checkpoint_ids=[424242]))

        assert unbound.json()["errors"][0] == {
            "field": "checkpoint_ids",
            "message": "执勤人员至少绑定一个卡口",
            "code": "missing",
        }
        assert unknown.json()["errors"][0] == {
            "field": "checkpoint_ids.0",
            "message": "卡口不存在",
            "code": "not_found",
        }

    async def test_residents_and_strangers_cannot_manage_accounts(self, system: System, tree: Tree) -> None:
        resident = (await system.client.post("/api/auth/dev/login", json={"openid": "o-1"})).json()["access_token"]

        as_resident = await create(system, {"Authorization": f"Bearer {resident}"}, account("x1", tree.changan))
        anonymous = await create(system, {}, account("x2", tree.changan))

        assert as_resident.status_code == 403
        assert anonymous.status_code == 401


class TestListAndRead:
    async def test_each_admin_lists_only_its_subtree_newest_first(self, system: System, tree: Tree) -> None:
        for username, region in (("sjz", tree.shijiazhuang), ("changan", tree.changan), ("tangshan", tree.tangshan)):
            await create(system, tree.root, account(username, region))
        city = await system.login("sjz", PASSWORD)

        everyone = (await system.client.get("/api/auth/admins", headers=tree.root)).json()
        mine = (await system.client.get("/api/auth/admins", headers=city)).json()

        assert [item["username"] for item in everyone["items"]] == ["tangshan", "changan", "sjz", "admin"]
        assert [item["username"] for item in mine["items"]] == ["changan", "sjz"]

    async def test_pages_follow_the_cursor(self, system: System, tree: Tree) -> None:
        for number in range(5):
            await create(system, tree.root, account(f"user{number}", tree.changan))

        first = (await system.client.get("/api/auth/admins?limit=2", headers=tree.root)).json()
        second = (
            await system.client.get(f"/api/auth/admins?limit=2&cursor={first['next_cursor']}", headers=tree.root)
        ).json()
        third = (
            await system.client.get(f"/api/auth/admins?limit=2&cursor={second['next_cursor']}", headers=tree.root)
        ).json()

        names = [item["username"] for page in (first, second, third) for item in page["items"]]
        assert names == ["user4", "user3", "user2", "user1", "user0", "admin"]
        assert third["next_cursor"] is None

    async def test_a_region_filter_outside_the_subtree_is_refused(self, system: System, tree: Tree) -> None:
        await create(system, tree.root, account("sjz", tree.shijiazhuang))
        city = await system.login("sjz", PASSWORD)

        response = await system.client.get(f"/api/auth/admins?region_id={tree.tangshan}", headers=city)

        assert response.status_code == 403

    async def test_a_bad_cursor_is_named(self, system: System, tree: Tree) -> None:
        response = await system.client.get("/api/auth/admins?cursor=!!!", headers=tree.root)

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cursor"

    async def test_reading_an_account_beside_is_refused_and_an_unknown_one_is_missing(
        self, system: System, tree: Tree
    ) -> None:
        other = (await create(system, tree.root, account("tangshan", tree.tangshan))).json()
        await create(system, tree.root, account("sjz", tree.shijiazhuang))
        city = await system.login("sjz", PASSWORD)

        beside = await system.client.get(f"/api/auth/admins/{other['id']}", headers=city)
        unknown = await system.client.get("/api/auth/admins/0196d2a4-0000-7000-8000-000000000000", headers=city)

        assert beside.status_code == 403
        assert unknown.status_code == 404


class TestManage:
    async def test_a_disabled_account_can_no_longer_log_in_or_refresh(self, system: System, tree: Tree) -> None:
        created = (await create(system, tree.root, account("sjz", tree.shijiazhuang))).json()
        session = (
            await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": PASSWORD})
        ).json()

        disabled = await system.client.patch(
            f"/api/auth/admins/{created['id']}", json={"disabled": True}, headers=tree.root
        )

        assert disabled.json()["disabled"] is True
        login = await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": PASSWORD})
        assert login.status_code == 403
        refresh = await system.client.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
        assert refresh.status_code == 401

    async def test_nobody_disables_themselves(self, system: System, tree: Tree) -> None:
        me = (await system.client.get("/api/auth/me", headers=tree.root)).json()

        response = await system.client.patch(f"/api/auth/admins/{me['id']}", json={"disabled": True}, headers=tree.root)

        assert response.status_code == 409

    async def test_a_password_reset_lifts_a_lockout(self, system: System, tree: Tree) -> None:
        created = (await create(system, tree.root, account("sjz", tree.shijiazhuang))).json()
        for attempt in range(5):
            await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": f"wrong-{attempt}"})

        reset = await system.client.post(
            f"/api/auth/admins/{created['id']}/password", json={"password": "Fresh-pass-1"}, headers=tree.root
        )

        assert reset.status_code == 204
        assert (
            await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": "Fresh-pass-1"})
        ).status_code == 200

    async def test_a_county_admin_cannot_touch_its_city_admin(self, system: System, tree: Tree) -> None:
        city = (await create(system, tree.root, account("sjz", tree.shijiazhuang))).json()
        await create(system, tree.root, account("changan", tree.changan))
        county = await system.login("changan", PASSWORD)

        response = await system.client.patch(f"/api/auth/admins/{city['id']}", json={"disabled": True}, headers=county)
        reset = await system.client.post(
            f"/api/auth/admins/{city['id']}/password", json={"password": "Hijack-pass-1"}, headers=county
        )

        assert (response.status_code, reset.status_code) == (403, 403)

    async def test_a_peer_admin_of_the_same_region_cannot_disable_or_reset_the_one_who_made_it(
        self, system: System, tree: Tree
    ) -> None:
        maker = (await create(system, tree.root, account("sjz", tree.shijiazhuang))).json()
        made = (await create(system, await system.login("sjz", PASSWORD), account("sjz2", tree.shijiazhuang))).json()
        peer = await system.login("sjz2", PASSWORD)

        disabled = await system.client.patch(f"/api/auth/admins/{maker['id']}", json={"disabled": True}, headers=peer)
        reset = await system.client.post(
            f"/api/auth/admins/{maker['id']}/password", json={"password": "Hijack-pass-1"}, headers=peer
        )
        renamed = await system.client.patch(f"/api/auth/admins/{maker['id']}", json={"name": "冒名"}, headers=peer)
        by_maker = await system.client.patch(
            f"/api/auth/admins/{made['id']}", json={"disabled": True}, headers=await system.login("sjz", PASSWORD)
        )

        assert (disabled.status_code, reset.status_code, renamed.status_code) == (403, 403, 403)
        assert by_maker.status_code == 403
        assert (await system.login("sjz", PASSWORD))["Authorization"].startswith("Bearer ")

    async def test_a_superior_and_the_root_manage_admins_and_a_peer_manages_the_region_s_staff(
        self, system: System, tree: Tree
    ) -> None:
        templates = (await system.client.get("/api/registry/templates", headers=tree.root)).json()["items"]
        gate = await system.client.post(
            "/api/registry/checkpoints",
            json={"region_id": tree.changan, "name": "东门", "kind": "community", "template_id": templates[0]["id"]},
            headers=tree.root,
        )
        await create(system, tree.root, account("changan", tree.changan))
        peer_of_root = (await create(system, tree.root, account("province2", 1))).json()
        staff = (
            await create(
                system, tree.root, account("guard", tree.changan, role="staff", checkpoint_ids=[gate.json()["id"]])
            )
        ).json()
        county = await system.login("changan", PASSWORD)
        city = (await create(system, tree.root, account("sjz", tree.shijiazhuang))).json()

        by_county = await system.client.patch(
            f"/api/auth/admins/{staff['id']}", json={"disabled": True}, headers=county
        )
        by_root = await system.client.patch(
            f"/api/auth/admins/{peer_of_root['id']}", json={"name": "省厅"}, headers=tree.root
        )
        by_root_peer = await system.client.patch(
            f"/api/auth/admins/{city['id']}", json={"name": "市局"}, headers=await system.login("province2", PASSWORD)
        )

        root_id = (await system.client.get("/api/auth/me", headers=tree.root)).json()["id"]
        on_root = await system.client.patch(
            f"/api/auth/admins/{root_id}", json={"disabled": True}, headers=await system.login("province2", PASSWORD)
        )

        assert (by_county.status_code, by_root.status_code, by_root_peer.status_code) == (200, 200, 200)
        assert on_root.status_code == 403


async def test_a_region_with_accounts_cannot_be_deleted(system: System, tree: Tree) -> None:
    created = (await create(system, tree.root, account("changan", tree.changan))).json()

    refused = await system.client.delete(f"/api/registry/regions/{tree.changan}", headers=tree.root)
    await system.client.patch(f"/api/auth/admins/{created['id']}", json={"disabled": True}, headers=tree.root)
    still_refused = await system.client.delete(f"/api/registry/regions/{tree.changan}", headers=tree.root)

    assert refused.status_code == 409
    assert refused.json()["detail"] == "还有 1 个账号，不能删除"
    assert still_refused.status_code == 409


async def test_staff_are_bound_to_checkpoints_of_their_region(system: System, tree: Tree) -> None:
    templates = (await system.client.get("/api/registry/templates", headers=tree.root)).json()["items"]
    gate = next(item["id"] for item in templates if item["builtin"] == "residential_gate")
    inside = await system.client.post(
        "/api/registry/checkpoints",
        json={"region_id": tree.changan, "name": "长安公园南门", "kind": "other", "template_id": gate},
        headers=tree.root,
    )
    outside = await system.client.post(
        "/api/registry/checkpoints",
        json={"region_id": tree.tangshan, "name": "唐山站", "kind": "station", "template_id": gate},
        headers=tree.root,
    )
    ids = [inside.json()["id"], outside.json()["id"]]

    refused = await create(system, tree.root, account("guard", tree.changan, role="staff", checkpoint_ids=ids))
    made = await create(system, tree.root, account("guard", tree.changan, role="staff", checkpoint_ids=ids[:1]))

    assert refused.json()["errors"] == [
        {"field": "checkpoint_ids.1", "message": "卡口不在该账号所属地区内", "code": "invalid"}
    ]
    assert made.status_code == 201
    me = (await system.client.get("/api/auth/me", headers=await system.login("guard", PASSWORD))).json()
    assert (me["role"], me["checkpoint_ids"]) == ("staff", ids[:1])


class TestPasswordSetBySomeoneElse:
    """A password a superior set (a new account, a reset) is known to them: the account must change it before anything
    else, and every service refuses it until then."""

    async def test_a_new_account_does_nothing_but_change_its_password_first(self, system: System, tree: Tree) -> None:
        await system.client.post("/api/auth/admins", json=account("sjz", tree.shijiazhuang), headers=tree.root)

        login = (
            await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": PASSWORD})
        ).json()
        pending = {"Authorization": f"Bearer {login['access_token']}"}
        me = await system.client.get("/api/auth/me", headers=pending)
        refusals = [
            await system.client.get("/api/registry/regions/tree", headers=pending),
            await system.client.get("/api/trace/records", headers=pending),
            await system.client.get("/api/auth/admins", headers=pending),
            await system.client.post(
                "/api/registry/regions", json={"parent_id": tree.shijiazhuang, "name": "新华区"}, headers=pending
            ),
        ]
        same = await system.client.post(
            "/api/auth/me/password", json={"old_password": PASSWORD, "new_password": PASSWORD}, headers=pending
        )
        changed = await system.client.post(
            "/api/auth/me/password", json={"old_password": PASSWORD, "new_password": "Own-pass-2026"}, headers=pending
        )

        assert (login["must_change_password"], login["account"]["must_change_password"]) == (True, True)
        assert (me.status_code, me.json()["must_change_password"]) == (200, True)
        assert [(response.status_code, response.json()["code"]) for response in refusals] == [
            (403, "password_change_required")
        ] * 4
        assert refusals[0].json()["title"] == "请先修改密码：账号由上级创建或重置了密码，修改后才能使用"
        assert same.json()["errors"] == [
            {"field": "new_password", "message": "新密码不能与原密码相同", "code": "unchanged"}
        ]
        assert changed.status_code == 204
        again = (
            await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": "Own-pass-2026"})
        ).json()
        assert again["must_change_password"] is False
        tree_now = await system.client.get(
            "/api/registry/regions/tree", headers={"Authorization": f"Bearer {again['access_token']}"}
        )
        assert tree_now.status_code == 200

    async def test_a_reset_must_be_changed_again_even_after_a_refresh(self, system: System, tree: Tree) -> None:
        created = (await create(system, tree.root, account("sjz", tree.shijiazhuang))).json()
        assert (await system.client.get("/api/trace/records", headers=await system.login("sjz", PASSWORD))).is_success

        await system.client.post(
            f"/api/auth/admins/{created['id']}/password", json={"password": "Fresh-pass-1"}, headers=tree.root
        )
        login = (
            await system.client.post("/api/auth/admin/login", json={"username": "sjz", "password": "Fresh-pass-1"})
        ).json()
        refreshed = (
            await system.client.post("/api/auth/refresh", json={"refresh_token": login["refresh_token"]})
        ).json()
        records = await system.client.get(
            "/api/trace/records", headers={"Authorization": f"Bearer {refreshed['access_token']}"}
        )

        assert (login["must_change_password"], refreshed["must_change_password"]) == (True, True)
        assert (records.status_code, records.json()["code"]) == (403, "password_change_required")

    async def test_resetting_one_s_own_password_asks_no_change(self, system: System, tree: Tree) -> None:
        me = (await system.client.get("/api/auth/me", headers=tree.root)).json()

        await system.client.post(
            f"/api/auth/admins/{me['id']}/password", json={"password": "Root-new-2026"}, headers=tree.root
        )

        login = (
            await system.client.post("/api/auth/admin/login", json={"username": "admin", "password": "Root-new-2026"})
        ).json()
        assert login["must_change_password"] is False

    async def test_a_new_gate_keeper_sees_no_arrivals_before_changing_it(self, system: System, tree: Tree) -> None:
        templates = (await system.client.get("/api/registry/templates", headers=tree.root)).json()["items"]
        gate = await system.client.post(
            "/api/registry/checkpoints",
            json={"region_id": tree.changan, "name": "东门", "kind": "community", "template_id": templates[0]["id"]},
            headers=tree.root,
        )
        body = account("guard", tree.changan, role="staff", checkpoint_ids=[gate.json()["id"]])
        await system.client.post("/api/auth/admins", json=body, headers=tree.root)

        guard = await system.login("guard", PASSWORD)
        checkpoints = await system.client.get("/api/checkin/staff/checkpoints", headers=guard)

        assert (checkpoints.status_code, checkpoints.json()["code"]) == (403, "password_change_required")
