from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.checkpoints import config_key
from lianfang.common.settings import DEV_PII_KEY
from lianfang.registry.settings import RegistrySettings

from .test_regions import PROVINCE_ADMIN, Json, admin_of, created, field_errors
from .test_templates import TEMPLATES, make

# The check-in service's credential for the internal endpoints (the test settings hold the development PII key).
SERVICE = {SERVICE_HEADER: service_credential(DEV_PII_KEY)}

pytestmark = pytest.mark.usefixtures("backend")

CHECKPOINTS = "/api/registry/checkpoints"


@pytest.fixture
async def cache(settings: RegistrySettings) -> AsyncIterator[Redis]:
    client = connect_cache(settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def gate(client: httpx.AsyncClient) -> Json:
    return await builtin(client, "residential_gate")


async def builtin(client: httpx.AsyncClient, slug: str) -> Json:
    items = (await client.get(TEMPLATES, headers=PROVINCE_ADMIN)).json()["items"]
    found: Json = next(item for item in items if item["builtin"] == slug)
    return found


async def add(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> httpx.Response:
    return await client.post(CHECKPOINTS, json=body, headers=headers)


async def added(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> Json:
    response = await add(client, headers, **body)
    assert response.status_code == 201, response.text
    checkpoint: Json = response.json()
    return checkpoint


class TestCreate:
    async def test_a_checkpoint_gets_a_code_a_qr_url_and_its_config_in_redis(
        self, client: httpx.AsyncClient, cache: Redis, gate: Json
    ) -> None:
        city = await created(client, 1, "石家庄市", "130100")
        street = await created(client, await created(client, city, "长安区", "130102"), "育才街道", "130102001")

        checkpoint = await added(
            client,
            admin_of(city),
            region_id=street["id"],
            name="育才小区东门",
            kind="community",
            template_id=gate["id"],
            temp_valid_minutes=240,
            requires_audit=True,
        )

        assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}", checkpoint["code"])
        assert checkpoint["qr_url"] == f"http://localhost:8000/c/{checkpoint['code']}"
        assert (checkpoint["city_code"], checkpoint["region_name"], checkpoint["kind_label"]) == (
            "1301",
            "育才街道",
            "小区/社区",
        )
        assert (checkpoint["template_name"], checkpoint["template_version"]) == ("小区门岗", 1)
        assert checkpoint["fever_threshold"] == 37.3
        stored = json.loads(await cache.get(config_key(checkpoint["code"])) or "{}")
        assert [step["name"] for step in stored["regions"]] == ["河北省", "石家庄市", "长安区", "育才街道"]
        assert (stored["temp_valid_minutes"], stored["requires_audit"], stored["active"]) == (240, True, True)
        assert [field["key"] for field in stored["form"]["fields"]] == ["name", "phone", "address", "is_resident"]
        internal = await client.get(f"/api/registry/internal/checkpoints/{checkpoint['code']}/config", headers=SERVICE)
        assert internal.json() == stored

    async def test_every_bad_field_is_named_and_nothing_is_made(
        self, client: httpx.AsyncClient, cache: Redis, gate: Json
    ) -> None:
        response = await add(
            client,
            PROVINCE_ADMIN,
            region_id=1,
            name="",
            kind="castle",
            template_id=gate["id"],
            temp_valid_minutes=-1,
            fever_threshold=45,
        )

        assert [error["field"] for error in field_errors(response)] == [
            "name",
            "kind",
            "temp_valid_minutes",
            "fever_threshold",
        ]
        assert (await client.get(CHECKPOINTS, headers=PROVINCE_ADMIN)).json()["items"] == []
        assert await cache.keys("lianfang:checkpoint:*") == []

    async def test_unknown_region_or_template_is_named(self, client: httpx.AsyncClient, gate: Json) -> None:
        no_region = await add(client, PROVINCE_ADMIN, region_id=999, name="门", kind="other", template_id=gate["id"])
        no_template = await add(client, PROVINCE_ADMIN, region_id=1, name="门", kind="other", template_id=999)

        assert field_errors(no_region)[0]["field"] == "region_id"
        assert field_errors(no_template)[0] == {
            "field": "template_id",
            "message": "表单模板不存在",
            "code": "not_found",
        }

    async def test_a_template_of_another_city_cannot_be_used(self, client: httpx.AsyncClient) -> None:
        shijiazhuang = await created(client, 1, "石家庄市", "130100")
        tangshan = await created(client, 1, "唐山市", "130200")
        theirs = await make(client, admin_of(tangshan))

        response = await add(
            client,
            admin_of(shijiazhuang),
            region_id=shijiazhuang["id"],
            name="门",
            kind="other",
            template_id=theirs["id"],
        )

        assert field_errors(response)[0]["message"] == "该表单模板不能用于此地区的卡口"

    async def test_nobody_adds_a_checkpoint_beside_their_region(self, client: httpx.AsyncClient, gate: Json) -> None:
        shijiazhuang = await created(client, 1, "石家庄市", "130100")
        tangshan = await created(client, 1, "唐山市", "130200")

        response = await add(
            client, admin_of(shijiazhuang), region_id=tangshan["id"], name="门", kind="other", template_id=gate["id"]
        )

        assert response.status_code == 403

    async def test_names_are_unique_within_a_region(self, client: httpx.AsyncClient, gate: Json) -> None:
        await added(client, PROVINCE_ADMIN, region_id=1, name="省政府东门", kind="office", template_id=gate["id"])

        again = await add(client, PROVINCE_ADMIN, region_id=1, name="省政府东门", kind="office", template_id=gate["id"])

        assert again.status_code == 409
        assert again.json()["code"] == "checkpoint_name_taken"

    async def test_a_region_with_checkpoints_cannot_be_deleted(self, client: httpx.AsyncClient, gate: Json) -> None:
        city = await created(client, 1, "石家庄市", "130100")
        await added(
            client, PROVINCE_ADMIN, region_id=city["id"], name="火车站北口", kind="station", template_id=gate["id"]
        )

        response = await client.delete(f"/api/registry/regions/{city['id']}", headers=PROVINCE_ADMIN)

        assert response.status_code == 409
        assert response.json()["detail"] == "还有 1 个卡口，不能删除"


class TestUpdate:
    async def test_a_checkpoint_keeps_its_template_version_until_moved(
        self, client: httpx.AsyncClient, cache: Redis
    ) -> None:
        template = await make(client, PROVINCE_ADMIN)
        checkpoint = await added(
            client, PROVINCE_ADMIN, region_id=1, name="访客入口", kind="office", template_id=template["id"]
        )
        await client.patch(
            f"{TEMPLATES}/{template['id']}",
            json={"fields": [{"key": "name", "label": "姓名", "type": "name"}]},
            headers=PROVINCE_ADMIN,
        )

        kept = (await client.get(f"{CHECKPOINTS}/{checkpoint['id']}", headers=PROVINCE_ADMIN)).json()
        moved = await client.patch(
            f"{CHECKPOINTS}/{checkpoint['id']}", json={"template_version": 2}, headers=PROVINCE_ADMIN
        )

        assert (kept["template_version"], kept["template_latest_version"]) == (1, 2)
        assert moved.json()["template_version"] == 2
        stored = json.loads(await cache.get(config_key(checkpoint["code"])) or "{}")
        assert [field["key"] for field in stored["form"]["fields"]] == ["name"]

    async def test_deactivating_reaches_the_check_in_service(
        self, client: httpx.AsyncClient, cache: Redis, gate: Json
    ) -> None:
        checkpoint = await added(
            client, PROVINCE_ADMIN, region_id=1, name="临时卡口", kind="other", template_id=gate["id"]
        )

        response = await client.patch(
            f"{CHECKPOINTS}/{checkpoint['id']}", json={"active": False, "fever_threshold": 37.5}, headers=PROVINCE_ADMIN
        )

        assert response.json()["active"] is False
        stored = json.loads(await cache.get(config_key(checkpoint["code"])) or "{}")
        assert (stored["active"], stored["fever_threshold"]) == (False, 37.5)

    async def test_a_refused_change_leaves_redis_as_it_was(
        self, client: httpx.AsyncClient, cache: Redis, gate: Json
    ) -> None:
        checkpoint = await added(client, PROVINCE_ADMIN, region_id=1, name="东门", kind="other", template_id=gate["id"])
        before = await cache.get(config_key(checkpoint["code"]))

        response = await client.patch(
            f"{CHECKPOINTS}/{checkpoint['id']}", json={"template_version": 7}, headers=PROVINCE_ADMIN
        )

        assert response.status_code == 422
        assert await cache.get(config_key(checkpoint["code"])) == before

    async def test_another_citys_checkpoint_is_out_of_reach(self, client: httpx.AsyncClient, gate: Json) -> None:
        tangshan = await created(client, 1, "唐山市", "130200")
        shijiazhuang = await created(client, 1, "石家庄市", "130100")
        theirs = await added(
            client, PROVINCE_ADMIN, region_id=tangshan["id"], name="唐山站", kind="station", template_id=gate["id"]
        )

        read = await client.get(f"{CHECKPOINTS}/{theirs['id']}", headers=admin_of(shijiazhuang))
        edit = await client.patch(
            f"{CHECKPOINTS}/{theirs['id']}", json={"active": False}, headers=admin_of(shijiazhuang)
        )
        unknown = await client.get(f"{CHECKPOINTS}/424242", headers=admin_of(shijiazhuang))

        assert (read.status_code, edit.status_code, unknown.status_code) == (403, 403, 404)


class TestList:
    async def test_filters_and_scope(self, client: httpx.AsyncClient, gate: Json) -> None:
        shijiazhuang = await created(client, 1, "石家庄市", "130100")
        tangshan = await created(client, 1, "唐山市", "130200")
        hospital = await builtin(client, "hospital")
        await added(
            client,
            PROVINCE_ADMIN,
            region_id=shijiazhuang["id"],
            name="人民医院",
            kind="hospital",
            template_id=hospital["id"],
        )
        clinic = await added(
            client,
            PROVINCE_ADMIN,
            region_id=shijiazhuang["id"],
            name="社区医院",
            kind="hospital",
            template_id=hospital["id"],
            active=False,
        )
        await added(
            client,
            PROVINCE_ADMIN,
            region_id=shijiazhuang["id"],
            name="裕华小区",
            kind="community",
            template_id=gate["id"],
        )
        station = await added(
            client, PROVINCE_ADMIN, region_id=tangshan["id"], name="唐山站", kind="station", template_id=gate["id"]
        )
        city = admin_of(shijiazhuang)

        async def names(query: str, headers: dict[str, str] = city) -> list[str]:
            return [
                item["name"] for item in (await client.get(f"{CHECKPOINTS}?{query}", headers=headers)).json()["items"]
            ]

        assert await names("") == ["裕华小区", "社区医院", "人民医院"]
        assert await names("kind=hospital") == ["社区医院", "人民医院"]
        assert await names("kind=hospital&active=true") == ["人民医院"]
        assert await names("q=医院") == ["社区医院", "人民医院"]
        assert await names(f"q={clinic['code']}") == ["社区医院"]
        assert await names(f"region_id={tangshan['id']}", PROVINCE_ADMIN) == ["唐山站"]
        forbidden = await client.get(f"{CHECKPOINTS}?region_id={tangshan['id']}", headers=city)
        assert forbidden.status_code == 403
        # By id, several at once; one outside the caller's subtree is left out.
        assert await names(f"id={clinic['id']}&id={station['id']}") == ["社区医院"]
        assert await names(f"id={clinic['id']}&id={station['id']}", PROVINCE_ADMIN) == ["唐山站", "社区医院"]

    async def test_pages_follow_the_cursor(self, client: httpx.AsyncClient, gate: Json) -> None:
        for number in range(5):
            await added(client, PROVINCE_ADMIN, region_id=1, name=f"卡口{number}", kind="other", template_id=gate["id"])

        first = (await client.get(f"{CHECKPOINTS}?limit=3", headers=PROVINCE_ADMIN)).json()
        second = (
            await client.get(f"{CHECKPOINTS}?limit=3&cursor={first['next_cursor']}", headers=PROVINCE_ADMIN)
        ).json()

        assert [item["name"] for item in first["items"] + second["items"]] == [f"卡口{n}" for n in (4, 3, 2, 1, 0)]
        assert second["next_cursor"] is None


async def test_the_config_is_also_served_by_id(client: httpx.AsyncClient, gate: Json) -> None:
    checkpoint = await added(
        client, PROVINCE_ADMIN, region_id=1, name="省政府北门", kind="office", template_id=gate["id"]
    )

    by_id = await client.get(f"/api/registry/internal/checkpoints/by-id/{checkpoint['id']}/config", headers=SERVICE)
    by_code = await client.get(f"/api/registry/internal/checkpoints/{checkpoint['code']}/config", headers=SERVICE)
    missing = await client.get("/api/registry/internal/checkpoints/by-id/424242/config", headers=SERVICE)

    assert by_id.json() == by_code.json()
    assert missing.status_code == 404


async def test_the_internal_config_needs_the_service_credential(client: httpx.AsyncClient, gate: Json) -> None:
    checkpoint = await added(
        client, PROVINCE_ADMIN, region_id=1, name="省政府北门", kind="office", template_id=gate["id"]
    )
    paths = [
        f"/api/registry/internal/checkpoints/{checkpoint['code']}/config",
        f"/api/registry/internal/checkpoints/by-id/{checkpoint['id']}/config",
    ]

    anonymous = [await client.get(path) for path in paths]
    forged = [await client.get(path, headers={SERVICE_HEADER: "AAAAAAAAAAAAAAAAAAAAAA"}) for path in paths]
    as_admin = [await client.get(path, headers=PROVINCE_ADMIN) for path in paths]

    assert [response.status_code for response in anonymous + forged + as_admin] == [401] * 6
    assert all(response.json()["code"] == "unauthorized" for response in anonymous)


async def test_an_unknown_code_is_a_clear_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/registry/internal/checkpoints/ZZZZZZZZ/config", headers=SERVICE)

    assert response.status_code == 404
    assert response.json()["detail"] == "卡口不存在，请确认二维码是否正确"
