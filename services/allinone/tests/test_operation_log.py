"""操作日志: each service logs the changes to what it owns (the gateway accounts, the registry regions, checkpoints,
templates and imports), and the admins above a target read them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import System

pytestmark = pytest.mark.usefixtures("backend")

PASSWORD = "City-pass-2026"
ACCOUNTS_LOG = "/api/auth/operation-log"
REGISTRY_LOG = "/api/registry/operation-log"
CHECKPOINTS = "/api/registry/checkpoints"
TEMPLATES = "/api/registry/templates"


@dataclass
class Tree:
    root: dict[str, str]
    shijiazhuang: int
    changan: int
    tangshan: int
    template_id: int


@pytest.fixture
async def tree(system: System) -> Tree:
    root = await system.login()
    shijiazhuang = await system.region(root, 1, "石家庄市", "130100")
    changan = await system.region(root, shijiazhuang, "长安区", "130102")
    tangshan = await system.region(root, 1, "唐山市", "130200")
    templates = (await system.client.get(TEMPLATES, headers=root)).json()["items"]
    template_id = next(item["id"] for item in templates if item["builtin"] == "residential_gate")
    return Tree(root, shijiazhuang, changan, tangshan, template_id)


async def read(system: System, path: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await system.client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def actions(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(item["action_label"], item["target_name"], item["summary"]) for item in items]


async def admin(system: System, tree: Tree, username: str, region_id: int, name: str = "王科长") -> dict[str, str]:
    body = {"username": username, "password": PASSWORD, "name": name, "region_id": region_id}
    assert (await system.add_account(tree.root, body)).status_code == 201
    return await system.login(username, PASSWORD)


async def checkpoint(system: System, headers: dict[str, str], tree: Tree, region_id: int, name: str) -> int:
    body = {"region_id": region_id, "name": name, "kind": "community", "template_id": tree.template_id}
    response = await system.client.post(CHECKPOINTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    checkpoint_id: int = response.json()["id"]
    return checkpoint_id


class TestAccounts:
    async def test_creating_changing_switching_and_resetting_an_account_is_logged_without_the_phone_or_password(
        self, system: System, tree: Tree
    ) -> None:
        body = {"username": "sjz", "password": PASSWORD, "name": "王科长", "region_id": tree.shijiazhuang}
        made = (await system.add_account(tree.root, body | {"phone": "13812345678"})).json()
        path = f"/api/auth/admins/{made['id']}"
        await system.client.patch(path, json={"name": "王处长", "phone": "13900001111"}, headers=tree.root)
        await system.client.patch(path, json={"disabled": True}, headers=tree.root)
        await system.client.patch(path, json={"disabled": False}, headers=tree.root)
        await system.client.patch(path, json={"name": "王处长"}, headers=tree.root)  # changes nothing: not logged
        reset = await system.client.post(f"{path}/password", json={"password": "Reset-pass-2026"}, headers=tree.root)
        assert reset.status_code == 204

        items = await read(system, ACCOUNTS_LOG, tree.root)

        assert actions(items) == [
            ("重置密码", "王处长（sjz）", "设置了新密码"),
            ("启用账号", "王处长（sjz）", ""),
            ("停用账号", "王处长（sjz）", ""),
            ("修改账号", "王处长（sjz）", "姓名：王科长 → 王处长；手机号：138****5678 → 139****1111"),
            ("新建账号", "王科长（sjz）", "角色：管理员；姓名：王科长；手机号：138****5678"),
        ]
        newest = items[0]
        assert (newest["action"], newest["target_kind"], newest["target_kind_label"]) == (
            "account.password_reset",
            "account",
            "账号",
        )
        assert (newest["operator_username"], newest["operator_region_id"], newest["region_id"]) == (
            "admin",
            1,
            tree.shijiazhuang,
        )
        assert newest["target_id"] == made["id"]
        text = str(items)
        for secret in ("13812345678", "13900001111", PASSWORD, "Reset-pass-2026"):
            assert secret not in text

    async def test_a_reset_says_when_it_lifted_a_lockout(self, system: System, tree: Tree) -> None:
        await admin(system, tree, "changan", tree.changan)
        for attempt in range(5):
            await system.client.post(
                "/api/auth/admin/login", json={"username": "changan", "password": f"wrong-pass-{attempt}"}
            )
        accounts = (await system.client.get("/api/auth/admins", params={"q": "changan"}, headers=tree.root)).json()
        path = f"/api/auth/admins/{accounts['items'][0]['id']}/password"

        await system.client.post(path, json={"password": "Reset-pass-2026"}, headers=tree.root)

        items = await read(system, ACCOUNTS_LOG, tree.root, action="account.password_reset")
        assert actions(items) == [("重置密码", "王科长（changan）", "设置了新密码，并清除了登录错误次数与锁定")]


class TestRegistry:
    async def test_regions_checkpoints_and_templates_are_logged_with_what_changed(
        self, system: System, tree: Tree
    ) -> None:
        street = await system.region(tree.root, tree.changan, "育才街道")
        await system.client.patch(f"/api/registry/regions/{street}", json={"name": "建北街道"}, headers=tree.root)
        await system.client.delete(f"/api/registry/regions/{street}", headers=tree.root)
        gate = await checkpoint(system, tree.root, tree, tree.changan, "育才小区东门")
        update = {"address": "育才街 1 号", "requires_audit": True}
        await system.client.patch(f"{CHECKPOINTS}/{gate}", json=update, headers=tree.root)
        await system.client.patch(f"{CHECKPOINTS}/{gate}", json={"active": False}, headers=tree.root)
        await system.client.delete(f"{CHECKPOINTS}/{gate}", headers=tree.root)
        fields = [{"key": "unit", "label": "单位", "type": "text"}]
        template = (
            await system.client.post(
                TEMPLATES, json={"name": "访客", "fields": fields, "region_id": tree.changan}, headers=tree.root
            )
        ).json()
        await system.client.patch(f"{TEMPLATES}/{template['id']}", json={"name": "企业访客"}, headers=tree.root)
        await system.client.delete(f"{TEMPLATES}/{template['id']}", headers=tree.root)

        items = await read(system, REGISTRY_LOG, tree.root, limit=11)

        assert actions(items) == [
            ("删除表单模板", "企业访客", "共 1 个版本"),
            ("修改表单模板", "企业访客", "名称：访客 → 企业访客"),
            ("新建表单模板", "访客", "地区：长安区；字段（1 项）：单位"),
            ("删除卡口", "育才小区东门", "地区：长安区"),
            ("停用卡口", "育才小区东门", ""),
            ("修改卡口", "育才小区东门", "地址：空 → 育才街 1 号；需要审核：否 → 是"),
            (
                "新建卡口",
                "育才小区东门",
                "地区：长安区；名称：育才小区东门；类型：小区/社区；表单模板：小区门岗（第 1 版）；"
                "体温有效期（分钟）：0；需要审核：否；发热判定体温（℃）：37.3；现场范围（米）：300",
            ),
            ("删除地区", "建北街道", "名称：建北街道"),
            ("修改地区", "建北街道", "名称：育才街道 → 建北街道"),
            ("新建地区", "育才街道", "上级地区：长安区；名称：育才街道"),
            ("新建地区", "唐山市", "上级地区：河北省；名称：唐山市；编码：130200"),
        ]
        assert {item["target_kind"] for item in items[3:7]} == {"checkpoint"}
        assert items[3]["target_id"] == str(gate)
        assert {item["region_id"] for item in items[:7]} == {tree.changan}

    async def test_bulk_actions_log_every_checkpoint_they_changed(self, system: System, tree: Tree) -> None:
        gates = [await checkpoint(system, tree.root, tree, tree.changan, f"{n} 号门") for n in (1, 2)]
        bulk = f"{CHECKPOINTS}/bulk"
        await system.client.post(bulk, json={"ids": gates, "action": "deactivate"}, headers=tree.root)
        await system.client.post(bulk, json={"ids": gates, "action": "delete"}, headers=tree.root)

        disabled = await read(system, REGISTRY_LOG, tree.root, action="checkpoint.disable")
        deleted = await read(system, REGISTRY_LOG, tree.root, action="checkpoint.delete")

        assert sorted(actions(disabled)) == [
            ("停用卡口", "1 号门", "批量停用（共 2 个）"),
            ("停用卡口", "2 号门", "批量停用（共 2 个）"),
        ]
        assert sorted(actions(deleted)) == [
            ("删除卡口", "1 号门", "地区：长安区；批量删除（共 2 个）"),
            ("删除卡口", "2 号门", "地区：长安区；批量删除（共 2 个）"),
        ]

    async def test_an_import_is_logged_by_its_file_dry_or_not(self, system: System, tree: Tree) -> None:
        text = io.StringIO()
        csv.writer(text).writerows(
            [["地区", "卡口名称", "类型"], ["石家庄市/长安区", "一号楼", "小区"], ["石家庄市/长安区", "二号楼", "小区"]]
        )
        content = text.getvalue().encode("utf-8-sig")
        for dry_run in ("true", "false"):
            response = await system.client.post(
                f"{CHECKPOINTS}/import",
                params={"dry_run": dry_run},
                files={"file": ("长安区卡口.csv", content, "text/csv")},
                headers=tree.root,
            )
            assert response.status_code in (200, 201), response.text

        items = await read(system, REGISTRY_LOG, tree.root, target_kind="import")

        assert actions(items) == [
            ("导入卡口", "长安区卡口.csv", "表格 2 行，新建了 2 个卡口"),
            ("试导入卡口", "长安区卡口.csv", "表格 2 行，可新建 2 个卡口"),
        ]
        assert [item["action"] for item in items] == ["import.run", "import.dry_run"]
        assert (items[0]["target_id"], items[0]["region_id"]) == (None, 1)


class TestScope:
    async def test_an_admin_reads_what_was_done_to_its_subtree_only(self, system: System, tree: Tree) -> None:
        city = await admin(system, tree, "sjz", tree.shijiazhuang)
        county = await admin(system, tree, "changan", tree.changan)
        tangshan = await admin(system, tree, "tangshan", tree.tangshan)
        await checkpoint(system, city, tree, tree.shijiazhuang, "市政府门岗")
        await checkpoint(system, city, tree, tree.changan, "区政府门岗")
        await checkpoint(system, county, tree, tree.changan, "长安公园")
        await checkpoint(system, tangshan, tree, tree.tangshan, "唐山站")

        def made(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
            return [(item["operator_username"], item["target_name"]) for item in items]

        in_city = await read(system, REGISTRY_LOG, city, target_kind="checkpoint")
        in_county = await read(system, REGISTRY_LOG, county, target_kind="checkpoint")
        in_tangshan = await read(system, REGISTRY_LOG, tangshan, target_kind="checkpoint")
        by_city = await read(system, REGISTRY_LOG, county, username="sjz")

        assert made(in_city) == [("changan", "长安公园"), ("sjz", "区政府门岗"), ("sjz", "市政府门岗")]
        # The county reads what its superior did to it, never what the superior did at the city's own level.
        assert made(in_county) == [("changan", "长安公园"), ("sjz", "区政府门岗")]
        assert made(by_city) == [("sjz", "区政府门岗")]
        assert made(in_tangshan) == [("tangshan", "唐山站")]
        accounts = await read(system, ACCOUNTS_LOG, county)
        assert [(item["operator_username"], item["target_name"]) for item in accounts] == [
            ("admin", "王科长（changan）")
        ]

    async def test_staff_and_residents_are_refused_and_bad_filters_are_named(self, system: System, tree: Tree) -> None:
        gate = await checkpoint(system, tree.root, tree, tree.changan, "育才小区东门")
        body = {
            "username": "guard",
            "password": PASSWORD,
            "name": "李师傅",
            "region_id": tree.changan,
            "role": "staff",
            "checkpoint_ids": [gate],
        }
        assert (await system.add_account(tree.root, body)).status_code == 201
        staff = await system.login("guard", PASSWORD)
        resident = await system.client.post("/api/auth/dev/login", json={"openid": "resident-1"})
        as_resident = {"Authorization": f"Bearer {resident.json()['access_token']}"}

        for path in (ACCOUNTS_LOG, REGISTRY_LOG):
            assert (await system.client.get(path, headers=staff)).status_code == 403
            assert (await system.client.get(path, headers=as_resident)).status_code == 403
            assert (await system.client.get(path)).status_code == 401
            for params, field in (
                ({"action": "account.explode"}, "action"),
                ({"target_kind": "person"}, "target_kind"),
                ({"from": "2026-12-01T00:00:00"}, "from"),
                ({"limit": 0}, "limit"),
                ({"cursor": "not-a-cursor"}, "cursor"),
            ):
                response = await system.client.get(path, params=params, headers=tree.root)
                assert response.status_code == 422, (path, params)
                assert response.json()["errors"][0]["field"] == field

    async def test_filters_narrow_by_operator_action_kind_and_period(self, system: System, tree: Tree) -> None:
        city = await admin(system, tree, "sjz", tree.shijiazhuang)
        await checkpoint(system, city, tree, tree.changan, "育才小区东门")

        by_city = await read(system, REGISTRY_LOG, tree.root, username="sjz")
        created = await read(system, REGISTRY_LOG, tree.root, action="region.create")
        future = await read(system, REGISTRY_LOG, tree.root, **{"from": "2099-01-01T00:00:00+08:00"})
        past = await read(system, ACCOUNTS_LOG, tree.root, to="2020-01-01T00:00:00+08:00")
        first = (await system.client.get(REGISTRY_LOG, params={"limit": 2}, headers=tree.root)).json()
        rest = await read(system, REGISTRY_LOG, tree.root, limit=2, cursor=first["next_cursor"])

        assert [(item["operator_name"], item["target_name"]) for item in by_city] == [("王科长", "育才小区东门")]
        assert [item["target_name"] for item in created] == ["唐山市", "长安区", "石家庄市"]
        assert future == past == []
        assert [item["target_name"] for item in first["items"] + rest] == [
            "育才小区东门",
            "唐山市",
            "长安区",
            "石家庄市",
        ]
