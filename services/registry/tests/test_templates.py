from __future__ import annotations

import httpx
import pytest

from .test_regions import PROVINCE_ADMIN, Json, admin_of, created, field_errors

pytestmark = pytest.mark.usefixtures("backend")

TEMPLATES = "/api/registry/templates"
FIELDS = [
    {"key": "name", "label": "姓名", "type": "name", "required": True},
    {"key": "phone", "label": "手机号", "type": "phone", "required": True},
    {"key": "unit", "label": "单位", "type": "text"},
]


@pytest.fixture
async def cities(client: httpx.AsyncClient) -> tuple[Json, Json]:
    return await created(client, 1, "石家庄市", "130100"), await created(client, 1, "唐山市", "130200")


async def make(client: httpx.AsyncClient, headers: dict[str, str], name: str = "企业访客", **extra: object) -> Json:
    response = await client.post(TEMPLATES, json={"name": name, "fields": FIELDS} | extra, headers=headers)
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


class TestBuiltins:
    async def test_every_admin_can_use_the_builtins_but_only_the_root_edits_them(
        self, client: httpx.AsyncClient, cities: tuple[Json, Json]
    ) -> None:
        city = admin_of(cities[0])

        listing = (await client.get(TEMPLATES, headers=city)).json()["items"]

        assert {item["name"] for item in listing} == {"小区门岗", "通勤班车", "医院", "办公楼访客"}
        assert all(item["editable"] is False for item in listing)
        hospital = next(item for item in listing if item["builtin"] == "hospital")
        assert [field["key"] for field in hospital["fields"]][:3] == ["name", "phone", "id_card"]
        edit = await client.patch(f"{TEMPLATES}/{hospital['id']}", json={"name": "我的医院"}, headers=city)
        assert edit.status_code == 403
        delete = await client.delete(f"{TEMPLATES}/{hospital['id']}", headers=PROVINCE_ADMIN)
        assert delete.status_code == 403


class TestOwnTemplates:
    async def test_a_template_is_seen_below_its_region_and_not_beside_it(
        self, client: httpx.AsyncClient, cities: tuple[Json, Json]
    ) -> None:
        shijiazhuang, tangshan = cities
        county = await created(client, shijiazhuang, "长安区", "130102")
        template = await make(client, admin_of(shijiazhuang))

        below = await client.get(f"{TEMPLATES}/{template['id']}", headers=admin_of(county))
        beside = await client.get(f"{TEMPLATES}/{template['id']}", headers=admin_of(tangshan))
        beside_list = (await client.get(TEMPLATES, headers=admin_of(tangshan))).json()["items"]

        assert (template["version"], template["versions"], template["editable"]) == (1, [1], True)
        assert below.status_code == 200
        assert below.json()["editable"] is False
        assert beside.status_code == 403
        assert template["id"] not in [item["id"] for item in beside_list]

    async def test_editing_fields_adds_a_version_and_keeps_the_old_one(
        self, client: httpx.AsyncClient, cities: tuple[Json, Json]
    ) -> None:
        city = admin_of(cities[0])
        template = await make(client, city)

        edited = await client.patch(
            f"{TEMPLATES}/{template['id']}",
            json={"fields": [*FIELDS, {"key": "host", "label": "被访人", "type": "text"}]},
            headers=city,
        )
        first = await client.get(f"{TEMPLATES}/{template['id']}/versions/1", headers=city)
        missing = await client.get(f"{TEMPLATES}/{template['id']}/versions/9", headers=city)

        assert (edited.json()["version"], edited.json()["versions"]) == (2, [1, 2])
        assert [field["key"] for field in first.json()["fields"]] == ["name", "phone", "unit"]
        assert missing.status_code == 404

    async def test_renaming_does_not_add_a_version(self, client: httpx.AsyncClient, cities: tuple[Json, Json]) -> None:
        city = admin_of(cities[0])
        template = await make(client, city)

        renamed = (await client.patch(f"{TEMPLATES}/{template['id']}", json={"name": "访客登记"}, headers=city)).json()

        assert (renamed["name"], renamed["version"]) == ("访客登记", 1)

    async def test_bad_fields_are_named_by_position(self, client: httpx.AsyncClient) -> None:
        fields = [
            {"key": "name", "label": "姓名", "type": "name"},
            {"key": "name", "label": "重复", "type": "text"},
            {"key": "dept", "label": "科室", "type": "select"},
            {"key": "x", "label": "未知", "type": "colour"},
        ]

        response = await client.post(TEMPLATES, json={"name": "坏模板", "fields": fields}, headers=PROVINCE_ADMIN)

        assert [error["field"] for error in field_errors(response)] == [
            "fields.1.key",
            "fields.2.options",
            "fields.3.type",
        ]
        listing = (await client.get(TEMPLATES, headers=PROVINCE_ADMIN)).json()["items"]
        assert "坏模板" not in [item["name"] for item in listing]

    async def test_names_are_unique_within_a_region(self, client: httpx.AsyncClient, cities: tuple[Json, Json]) -> None:
        city = admin_of(cities[0])
        await make(client, city)

        again = await client.post(TEMPLATES, json={"name": "企业访客", "fields": FIELDS}, headers=city)

        assert again.status_code == 409
        assert again.json()["code"] == "template_name_taken"

    async def test_a_template_cannot_be_put_beside_the_caller(
        self, client: httpx.AsyncClient, cities: tuple[Json, Json]
    ) -> None:
        shijiazhuang, tangshan = cities

        response = await client.post(
            TEMPLATES,
            json={"name": "越权", "fields": FIELDS, "region_id": tangshan["id"]},
            headers=admin_of(shijiazhuang),
        )

        assert response.status_code == 403

    async def test_an_unused_template_can_be_deleted(
        self, client: httpx.AsyncClient, cities: tuple[Json, Json]
    ) -> None:
        city = admin_of(cities[0])
        template = await make(client, city)

        deleted = await client.delete(f"{TEMPLATES}/{template['id']}", headers=city)
        after = await client.get(f"{TEMPLATES}/{template['id']}", headers=city)

        assert deleted.status_code == 204
        assert after.status_code == 404
