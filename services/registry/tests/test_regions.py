from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from lianfang.common.auth import AdminPrincipal, ResidentPrincipal, StaffPrincipal
from lianfang.common.contracts.regions import ROOT_REGION_ID, ROOT_REGION_PATH
from lianfang.common.testing import bearer, serve
from lianfang.registry.main import create_app
from lianfang.registry.settings import RegistrySettings

Json = dict[str, Any]

REGIONS = "/api/registry/regions"
# Made at import and used all through the run, so it outlives the slowest run.
PROVINCE_ADMIN = bearer(AdminPrincipal(uuid.uuid4(), ROOT_REGION_ID, ROOT_REGION_PATH), minutes=24 * 60)


def admin_of(region: Json) -> dict[str, str]:
    return bearer(AdminPrincipal(uuid.uuid4(), region["id"], region["path"]))


async def create(
    client: httpx.AsyncClient,
    parent: Json | int,
    name: str,
    code: str | None = None,
    *,
    as_: dict[str, str] | None = None,
) -> httpx.Response:
    body: Json = {"parent_id": parent if isinstance(parent, int) else parent["id"], "name": name}
    if code is not None:
        body["code"] = code
    return await client.post(REGIONS, json=body, headers=as_ or PROVINCE_ADMIN)


async def created(
    client: httpx.AsyncClient,
    parent: Json | int,
    name: str,
    code: str | None = None,
    *,
    as_: dict[str, str] | None = None,
) -> Json:
    response = await create(client, parent, name, code, as_=as_)
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


async def fetch(client: httpx.AsyncClient, region: Json | int, *, as_: dict[str, str] | None = None) -> httpx.Response:
    region_id = region if isinstance(region, int) else region["id"]
    return await client.get(f"{REGIONS}/{region_id}", headers=as_ or PROVINCE_ADMIN)


def field_errors(response: httpx.Response) -> list[Json]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors: list[Json] = response.json()["errors"]
    return errors


@dataclass
class Tree:
    province: Json
    shijiazhuang: Json
    changan: Json
    yucai_street: Json
    yucai_community: Json
    qiaoxi: Json
    tangshan: Json
    lunan: Json


@pytest.fixture
async def tree(client: httpx.AsyncClient) -> Tree:
    province: Json = (await fetch(client, ROOT_REGION_ID)).json()
    shijiazhuang = await created(client, province, "石家庄市", "130100")
    changan = await created(client, shijiazhuang, "长安区", "130102")
    yucai_street = await created(client, changan, "育才街道", "130102001")
    yucai_community = await created(client, yucai_street, "育才社区", "130102001001")
    qiaoxi = await created(client, shijiazhuang, "桥西区", "130104")
    tangshan = await created(client, province, "唐山市", "130200")
    lunan = await created(client, tangshan, "路南区", "130202")
    return Tree(province, shijiazhuang, changan, yucai_street, yucai_community, qiaoxi, tangshan, lunan)


class TestCreate:
    async def test_builds_a_province_down_to_a_unit_with_each_level_taken_from_the_parent(self, tree: Tree) -> None:
        chain = [tree.province, tree.shijiazhuang, tree.changan, tree.yucai_street, tree.yucai_community]
        assert [region["level"] for region in chain] == ["province", "city", "county", "township", "unit"]
        assert [region["parent_id"] for region in chain] == [None, *(region["id"] for region in chain[:-1])]
        assert tree.yucai_community["path"] == "/" + "".join(f"{region['id']}/" for region in chain)
        assert tree.province["path"] == "/1/"
        fields = {"id", "parent_id", "name", "code", "level", "path", "city_code", "created_at", "child_count"}
        assert set(tree.changan) == fields
        assert (tree.changan["name"], tree.changan["code"], tree.changan["child_count"]) == ("长安区", "130102", 0)
        assert tree.changan["created_at"].endswith("Z")

    async def test_every_region_knows_its_city_as_the_shard_key(self, tree: Tree) -> None:
        assert tree.province["city_code"] == "1300"
        below_shijiazhuang = [tree.shijiazhuang, tree.changan, tree.yucai_street, tree.yucai_community, tree.qiaoxi]
        assert {region["city_code"] for region in below_shijiazhuang} == {"1301"}
        assert (tree.tangshan["city_code"], tree.lunan["city_code"]) == ("1302", "1302")

    async def test_a_city_without_a_code_takes_the_nearest_code_above_and_keeps_its_subtree_together(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        new_area = await created(client, tree.province, "雄安新区")
        county = await created(client, new_area, "容城县", "130629")
        street = await created(client, county, "容城镇")
        assert (new_area["code"], new_area["city_code"]) == (None, "1300")
        assert (county["city_code"], street["city_code"]) == ("1300", "1300")
        # The nearest code above a region without one is what its children's codes are checked against.
        assert field_errors(await create(client, new_area, "外省县", "140629")) == [
            {"field": "code", "message": "编码应以上级地区「河北省」的编码前缀 13 开头", "code": "prefix"}
        ]
        assert field_errors(await create(client, street, "某村", "130628100001")) == [
            {"field": "code", "message": "编码应以上级地区「容城县」的编码前缀 130629 开头", "code": "prefix"}
        ]

    async def test_nothing_can_be_added_below_a_unit(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await create(client, tree.yucai_community, "3 号楼")
        assert field_errors(response) == [
            {"field": "parent_id", "message": "社区、村、单位之下不能再建下级地区", "code": "too_deep"}
        ]

    @pytest.mark.parametrize(
        ("parent", "code", "message"),
        [
            ("province", "130101", "市级编码应为 6 位数字且以 00 结尾，如 130100"),
            ("province", "1303", "市级编码应为 6 位数字且以 00 结尾，如 130100"),
            ("province", "130000", "市级编码应为 6 位数字且以 00 结尾，如 130100"),
            ("province", "13０300", "市级编码应为 6 位数字且以 00 结尾，如 130100"),
            ("shijiazhuang", "130100", "县级编码应为 6 位数字且后两位不为 00，如 130102"),
            ("shijiazhuang", "13010A", "县级编码应为 6 位数字且后两位不为 00，如 130102"),
            ("changan", "130102", "乡镇、街道编码应为 9 位数字，如 130102001"),
            ("changan", "130102000", "乡镇、街道编码应为 9 位数字，如 130102001"),
            ("yucai_street", "130102001", "社区、村、单位编码应为 12 位数字，如 130102001001"),
        ],
    )
    async def test_a_code_must_have_the_format_of_its_level(
        self, client: httpx.AsyncClient, tree: Tree, parent: str, code: str, message: str
    ) -> None:
        response = await create(client, getattr(tree, parent), "新地区", code)
        assert field_errors(response) == [{"field": "code", "message": message, "code": "invalid"}]

    @pytest.mark.parametrize(
        ("parent", "code", "prefix"),
        [
            ("province", "140100", "「河北省」的编码前缀 13"),
            ("shijiazhuang", "130202", "「石家庄市」的编码前缀 1301"),
            ("changan", "130104001", "「长安区」的编码前缀 130102"),
            ("yucai_street", "130102002001", "「育才街道」的编码前缀 130102001"),
        ],
    )
    async def test_a_code_must_start_with_its_parents_prefix(
        self, client: httpx.AsyncClient, tree: Tree, parent: str, code: str, prefix: str
    ) -> None:
        response = await create(client, getattr(tree, parent), "新地区", code)
        assert field_errors(response) == [
            {"field": "code", "message": f"编码应以上级地区{prefix} 开头", "code": "prefix"}
        ]

    async def test_an_unknown_parent_is_a_field_error(self, client: httpx.AsyncClient) -> None:
        response = await create(client, 999_999, "不存在的市")
        assert field_errors(response) == [{"field": "parent_id", "message": "上级地区不存在", "code": "not_found"}]

    async def test_sibling_names_are_unique_but_cousins_may_share_one(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        response = await create(client, tree.shijiazhuang, "长安区")
        assert response.status_code == 409
        assert response.json() == {
            "type": "about:blank",
            "title": "同一上级地区下已有同名地区",
            "status": 409,
            "detail": "同一上级地区下已有名为「长安区」的地区",
            "code": "region_name_taken",
        }
        assert (await created(client, tree.tangshan, "长安区"))["level"] == "county"

    async def test_codes_are_unique_across_the_tree(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await create(client, tree.shijiazhuang, "新长安区", "130102")
        assert response.status_code == 409
        assert response.json()["code"] == "region_code_taken"
        assert response.json()["detail"] == "地区编码 130102 已被其他地区使用"

    async def test_names_are_trimmed_and_checked(self, client: httpx.AsyncClient, tree: Tree) -> None:
        assert (await created(client, tree.shijiazhuang, "  新华区 ", ""))["name"] == "新华区"
        assert field_errors(await create(client, tree.shijiazhuang, "   ")) == [
            {"field": "name", "message": "太短", "code": "string_too_short"}
        ]
        assert field_errors(await create(client, tree.shijiazhuang, "裕华区/东苑街道")) == [
            {"field": "name", "message": "名称不能包含 /（批量导入用它分隔上下级地区）", "code": "value_error"}
        ]
        assert field_errors(await create(client, tree.shijiazhuang, "裕" * 65)) == [
            {"field": "name", "message": "太长", "code": "string_too_long"}
        ]

    async def test_an_empty_code_means_no_code(self, client: httpx.AsyncClient, tree: Tree) -> None:
        region = await created(client, tree.shijiazhuang, "高新区", " ")
        assert (region["code"], region["city_code"]) == (None, "1301")


class TestRead:
    async def test_a_region_comes_with_its_ancestors_for_breadcrumbs(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        response = await fetch(client, tree.yucai_community, as_=admin_of(tree.changan))
        assert response.status_code == 200
        body = response.json()
        assert body == tree.yucai_community | {
            "ancestors": [
                {"id": tree.province["id"], "name": "河北省", "level": "province"},
                {"id": tree.shijiazhuang["id"], "name": "石家庄市", "level": "city"},
                {"id": tree.changan["id"], "name": "长安区", "level": "county"},
                {"id": tree.yucai_street["id"], "name": "育才街道", "level": "township"},
            ]
        }

    async def test_a_region_counts_its_children(self, client: httpx.AsyncClient, tree: Tree) -> None:
        assert (await fetch(client, tree.shijiazhuang)).json()["child_count"] == 2
        assert (await fetch(client, tree.yucai_community)).json()["child_count"] == 0

    async def test_the_root_has_no_ancestors(self, client: httpx.AsyncClient) -> None:
        body = (await fetch(client, ROOT_REGION_ID)).json()
        assert (body["name"], body["code"], body["level"], body["parent_id"], body["ancestors"]) == (
            "河北省",
            "130000",
            "province",
            None,
            [],
        )

    async def test_an_unknown_region_is_not_found(self, client: httpx.AsyncClient) -> None:
        response = await fetch(client, 999_999)
        assert response.status_code == 404
        assert response.json()["code"] == "region_not_found"

    async def test_the_tree_nests_the_callers_subtree(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.get(f"{REGIONS}/tree", headers=PROVINCE_ADMIN)
        assert response.status_code == 200

        def node(region: Json, *children: Json) -> Json:
            keys = ("id", "name", "code", "level")
            return {key: region[key] for key in keys} | {"children": list(children)}

        assert response.json() == node(
            tree.province,
            node(
                tree.shijiazhuang,
                node(tree.changan, node(tree.yucai_street, node(tree.yucai_community))),
                node(tree.qiaoxi),
            ),
            node(tree.tangshan, node(tree.lunan)),
        )

    async def test_the_tree_can_stop_at_a_depth(self, client: httpx.AsyncClient, tree: Tree) -> None:
        whole = (await client.get(f"{REGIONS}/tree", params={"depth": 1}, headers=PROVINCE_ADMIN)).json()
        assert [(city["name"], city["children"]) for city in whole["children"]] == [("石家庄市", []), ("唐山市", [])]
        city = (await client.get(f"{REGIONS}/tree", params={"depth": 1}, headers=admin_of(tree.shijiazhuang))).json()
        assert [(county["name"], county["children"]) for county in city["children"]] == [("长安区", []), ("桥西区", [])]
        alone = (await client.get(f"{REGIONS}/tree", params={"depth": 0}, headers=admin_of(tree.changan))).json()
        assert (alone["name"], alone["children"]) == ("长安区", [])

    async def test_the_list_pages_newest_first_with_a_cursor(self, client: httpx.AsyncClient, tree: Tree) -> None:
        names = ["古冶区", "开平区", "丰南区", "丰润区", "曹妃甸区"]
        for name in names:
            await created(client, tree.tangshan, name)
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, str | int] = {"parent_id": tree.tangshan["id"], "limit": 4}
            if cursor is not None:
                params["cursor"] = cursor
            response = await client.get(REGIONS, params=params, headers=PROVINCE_ADMIN)
            assert response.status_code == 200
            page = response.json()
            seen += [region["name"] for region in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 2
        assert seen == [*reversed(names), "路南区"]

    async def test_the_list_filters_by_name_and_level(self, client: httpx.AsyncClient, tree: Tree) -> None:
        by_name = (await client.get(REGIONS, params={"q": "育才"}, headers=PROVINCE_ADMIN)).json()
        assert [region["name"] for region in by_name["items"]] == ["育才社区", "育才街道"]
        counties = (await client.get(REGIONS, params={"level": "county"}, headers=PROVINCE_ADMIN)).json()
        assert [region["name"] for region in counties["items"]] == ["路南区", "桥西区", "长安区"]
        assert [region["child_count"] for region in counties["items"]] == [0, 0, 1]
        wildcard = (await client.get(REGIONS, params={"q": "%"}, headers=PROVINCE_ADMIN)).json()
        assert wildcard == {"items": [], "next_cursor": None}

    async def test_a_broken_cursor_is_a_field_error(self, client: httpx.AsyncClient) -> None:
        response = await client.get(REGIONS, params={"cursor": "not-a-cursor"}, headers=PROVINCE_ADMIN)
        assert field_errors(response) == [{"field": "cursor", "message": "分页游标无效", "code": "invalid"}]

    async def test_listing_the_children_of_an_unknown_region_is_a_field_error(self, client: httpx.AsyncClient) -> None:
        response = await client.get(REGIONS, params={"parent_id": 999_999}, headers=PROVINCE_ADMIN)
        assert field_errors(response) == [{"field": "parent_id", "message": "上级地区不存在", "code": "not_found"}]


class TestScope:
    async def test_a_city_admin_works_in_its_city_only(self, client: httpx.AsyncClient, tree: Tree) -> None:
        shijiazhuang = admin_of(tree.shijiazhuang)
        assert (await created(client, tree.changan, "建北街道", "130102002", as_=shijiazhuang))["level"] == "township"
        for parent in (tree.tangshan, tree.lunan, tree.province):
            response = await create(client, parent, "越界地区", as_=shijiazhuang)
            assert response.status_code == 403
            assert response.json()["detail"] == "该地区不在您的管辖范围内"

    async def test_a_city_admin_cannot_read_rename_or_delete_another_citys_regions(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        shijiazhuang = admin_of(tree.shijiazhuang)
        for region in (tree.tangshan, tree.lunan):
            url = f"{REGIONS}/{region['id']}"
            assert (await client.get(url, headers=shijiazhuang)).status_code == 403
            assert (await client.patch(url, json={"name": "改名"}, headers=shijiazhuang)).status_code == 403
            assert (await client.delete(url, headers=shijiazhuang)).status_code == 403
        assert (await fetch(client, tree.lunan)).json()["name"] == "路南区"

    async def test_a_county_admin_cannot_read_the_regions_above_it(self, client: httpx.AsyncClient, tree: Tree) -> None:
        changan = admin_of(tree.changan)
        assert (await fetch(client, tree.shijiazhuang, as_=changan)).status_code == 403
        assert (await fetch(client, tree.province, as_=changan)).status_code == 403
        assert (await fetch(client, tree.qiaoxi, as_=changan)).status_code == 403

    async def test_the_tree_and_the_list_show_only_the_callers_subtree(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        shijiazhuang = admin_of(tree.shijiazhuang)
        subtree = (await client.get(f"{REGIONS}/tree", headers=shijiazhuang)).json()
        assert subtree["id"] == tree.shijiazhuang["id"]
        assert [county["name"] for county in subtree["children"]] == ["长安区", "桥西区"]
        listed = (await client.get(REGIONS, headers=shijiazhuang)).json()
        assert [region["name"] for region in listed["items"]] == [
            "桥西区",
            "育才社区",
            "育才街道",
            "长安区",
            "石家庄市",
        ]
        searched = (await client.get(REGIONS, params={"q": "路南"}, headers=shijiazhuang)).json()
        assert searched["items"] == []
        response = await client.get(REGIONS, params={"parent_id": tree.tangshan["id"]}, headers=shijiazhuang)
        assert response.status_code == 403


class TestUpdate:
    async def test_renames_a_region_below_the_callers_own(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.patch(
            f"{REGIONS}/{tree.changan['id']}", json={"name": "长安新区"}, headers=admin_of(tree.shijiazhuang)
        )
        assert response.status_code == 200
        assert response.json() == tree.changan | {"name": "长安新区", "child_count": 1}
        assert (await fetch(client, tree.changan)).json()["name"] == "长安新区"

    async def test_the_callers_own_region_is_its_superiors_to_rename(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        response = await client.patch(
            f"{REGIONS}/{tree.changan['id']}", json={"name": "长安新区"}, headers=admin_of(tree.changan)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "own_region_read_only"
        assert response.json()["detail"] == "不能修改自己所属的地区，请联系上级管理员"

    async def test_a_name_taken_by_a_sibling_is_a_conflict(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.patch(
            f"{REGIONS}/{tree.changan['id']}", json={"name": "桥西区"}, headers=PROVINCE_ADMIN
        )
        assert response.status_code == 409
        assert response.json()["code"] == "region_name_taken"
        same = await client.patch(f"{REGIONS}/{tree.changan['id']}", json={"name": "长安区"}, headers=PROVINCE_ADMIN)
        assert same.status_code == 200

    async def test_a_new_code_is_checked_like_a_first_one(self, client: httpx.AsyncClient, tree: Tree) -> None:
        url = f"{REGIONS}/{tree.qiaoxi['id']}"
        assert field_errors(await client.patch(url, json={"code": "1301"}, headers=PROVINCE_ADMIN)) == [
            {"field": "code", "message": "县级编码应为 6 位数字且后两位不为 00，如 130102", "code": "invalid"}
        ]
        assert field_errors(await client.patch(url, json={"code": "130204"}, headers=PROVINCE_ADMIN)) == [
            {"field": "code", "message": "编码应以上级地区「石家庄市」的编码前缀 1301 开头", "code": "prefix"}
        ]
        taken = await client.patch(url, json={"code": "130102"}, headers=PROVINCE_ADMIN)
        assert (taken.status_code, taken.json()["code"]) == (409, "region_code_taken")
        response = await client.patch(url, json={"code": "130105"}, headers=PROVINCE_ADMIN)
        assert response.status_code == 200
        assert (response.json()["code"], response.json()["city_code"]) == ("130105", "1301")

    async def test_a_new_code_must_fit_the_codes_below(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.patch(
            f"{REGIONS}/{tree.changan['id']}", json={"code": "130103"}, headers=PROVINCE_ADMIN
        )
        assert field_errors(response) == [
            {
                "field": "code",
                "message": "有 2 个下级地区的编码不以 130103 开头，请先修改它们的编码",
                "code": "prefix_below",
            }
        ]

    async def test_a_code_can_be_removed_and_the_shard_key_stays(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.patch(f"{REGIONS}/{tree.tangshan['id']}", json={"code": None}, headers=PROVINCE_ADMIN)
        assert response.status_code == 200
        assert (response.json()["code"], response.json()["city_code"]) == (None, "1302")
        assert (await fetch(client, tree.tangshan)).json()["code"] is None

    async def test_a_region_cannot_be_moved(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.patch(
            f"{REGIONS}/{tree.lunan['id']}", json={"parent_id": tree.shijiazhuang["id"]}, headers=PROVINCE_ADMIN
        )
        assert field_errors(response) == [{"field": "parent_id", "message": "不允许的字段", "code": "extra_forbidden"}]

    async def test_an_unknown_region_is_not_found(self, client: httpx.AsyncClient) -> None:
        response = await client.patch(f"{REGIONS}/999999", json={"name": "新名"}, headers=PROVINCE_ADMIN)
        assert response.status_code == 404


class TestDelete:
    async def test_a_region_with_children_names_what_is_left_then_goes_once_empty(
        self, client: httpx.AsyncClient, tree: Tree
    ) -> None:
        city_admin = admin_of(tree.shijiazhuang)
        response = await client.delete(f"{REGIONS}/{tree.changan['id']}", headers=city_admin)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "地区不为空，不能删除",
            "status": 409,
            "detail": "还有 1 个下级地区，不能删除",
            "code": "region_not_empty",
        }
        for region in (tree.yucai_community, tree.yucai_street, tree.changan):
            deleted = await client.delete(f"{REGIONS}/{region['id']}", headers=city_admin)
            assert deleted.status_code == 204
            assert deleted.content == b""
            assert (await fetch(client, region)).status_code == 404
        assert (await fetch(client, tree.shijiazhuang)).json()["child_count"] == 1

    async def test_the_count_of_what_is_left_is_exact(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.delete(f"{REGIONS}/{tree.shijiazhuang['id']}", headers=PROVINCE_ADMIN)
        assert response.json()["detail"] == "还有 2 个下级地区，不能删除"

    async def test_the_callers_own_region_cannot_be_deleted(self, client: httpx.AsyncClient, tree: Tree) -> None:
        response = await client.delete(f"{REGIONS}/{tree.lunan['id']}", headers=admin_of(tree.lunan))
        assert response.status_code == 403
        assert response.json()["detail"] == "不能删除自己所属的地区，请联系上级管理员"
        assert (await fetch(client, tree.lunan)).status_code == 200
        root = await client.delete(f"{REGIONS}/{ROOT_REGION_ID}", headers=PROVINCE_ADMIN)
        assert (root.status_code, root.json()["code"]) == (403, "own_region_read_only")

    async def test_an_unknown_region_is_not_found(self, client: httpx.AsyncClient) -> None:
        assert (await client.delete(f"{REGIONS}/999999", headers=PROVINCE_ADMIN)).status_code == 404

    async def test_without_the_accounts_service_nothing_is_deleted(
        self, settings: RegistrySettings, tree: Tree
    ) -> None:
        async with serve(create_app(settings, gateway_transport=httpx.MockTransport(unreachable))) as client:
            response = await client.delete(f"{REGIONS}/{tree.yucai_community['id']}", headers=PROVINCE_ADMIN)

            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"
            assert response.json()["detail"] == "账号服务暂时无法访问"
            assert (await fetch(client, tree.yucai_community)).status_code == 200


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


_CALLS = [
    ("GET", f"{REGIONS}/tree", None),
    ("GET", REGIONS, None),
    ("GET", f"{REGIONS}/{ROOT_REGION_ID}", None),
    ("POST", REGIONS, {"parent_id": ROOT_REGION_ID, "name": "石家庄市"}),
    ("PATCH", f"{REGIONS}/{ROOT_REGION_ID}", {"name": "新名"}),
    ("DELETE", f"{REGIONS}/{ROOT_REGION_ID}", None),
]


class TestAccess:
    @pytest.mark.parametrize(("method", "url", "body"), _CALLS)
    async def test_needs_a_token(self, client: httpx.AsyncClient, method: str, url: str, body: Json | None) -> None:
        response = await client.request(method, url, json=body)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(("method", "url", "body"), _CALLS)
    async def test_is_for_admins_only(
        self, client: httpx.AsyncClient, method: str, url: str, body: Json | None
    ) -> None:
        staff = StaffPrincipal(uuid.uuid4(), ROOT_REGION_ID, ROOT_REGION_PATH, checkpoint_ids=(1,))
        for principal in (ResidentPrincipal(uuid.uuid4()), staff):
            response = await client.request(method, url, json=body, headers=bearer(principal))
            assert response.status_code == 403
            assert response.json()["detail"] == "仅区域管理员可以执行此操作"
        assert (await fetch(client, ROOT_REGION_ID)).json()["name"] == "河北省"
