"""Deleting checkpoints, one or many, and the other bulk actions: scoped, all or nothing, off Redis at once, named still
for trace, and no longer in their region's way."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.common.auth.service import SERVICE_HEADER, service_credential
from lianfang.common.contracts.checkpoints import config_key
from lianfang.common.settings import DEV_PII_KEY

from .test_checkpoints import CHECKPOINTS, added, builtin, cache
from .test_regions import PROVINCE_ADMIN, REGIONS, Json, admin_of, created

# The check-in service's credential for the internal endpoints (the test settings hold the development PII key).
SERVICE = {SERVICE_HEADER: service_credential(DEV_PII_KEY)}

pytestmark = pytest.mark.usefixtures("backend")

__all__ = ["cache"]


@pytest.fixture
async def street(client: httpx.AsyncClient) -> Json:
    city = await created(client, 1, "石家庄市", "130100")
    return await created(client, await created(client, city, "长安区", "130102"), "育才街道", "130102001")


@pytest.fixture
async def other_city(client: httpx.AsyncClient) -> Json:
    return await created(client, 1, "唐山市", "130200")


async def gates(client: httpx.AsyncClient, region: Json, count: int) -> list[Json]:
    template = await builtin(client, "residential_gate")
    return [
        await added(
            client,
            admin_of(region),
            region_id=region["id"],
            name=f"{index} 号门",
            kind="community",
            template_id=template["id"],
        )
        for index in range(1, count + 1)
    ]


def bulk(ids: list[int], action: str) -> Json:
    return {"ids": ids, "action": action}


async def listed(client: httpx.AsyncClient, region: Json) -> list[str]:
    page = (await client.get(CHECKPOINTS, params={"limit": 200}, headers=admin_of(region))).json()
    return sorted(item["name"] for item in page["items"])


class TestDelete:
    async def test_a_deleted_checkpoint_leaves_the_list_and_redis_and_its_region_can_go(
        self, client: httpx.AsyncClient, cache: Redis, street: Json
    ) -> None:
        (gate,) = await gates(client, street, 1)
        assert await cache.get(config_key(gate["code"])) is not None

        response = await client.delete(f"{CHECKPOINTS}/{gate['id']}", headers=admin_of(street))

        assert response.status_code == 204
        assert await listed(client, street) == []
        assert await cache.get(config_key(gate["code"])) is None
        config = await client.get(f"/api/registry/internal/checkpoints/{gate['code']}/config", headers=SERVICE)
        assert config.status_code == 404
        assert (await client.get(f"{CHECKPOINTS}/{gate['id']}", headers=admin_of(street))).status_code == 404
        gone = await client.delete(f"{REGIONS}/{street['id']}", headers=PROVINCE_ADMIN)
        assert gone.status_code == 204, gone.text

    async def test_trace_still_names_a_deleted_checkpoint(self, client: httpx.AsyncClient, street: Json) -> None:
        first, second = await gates(client, street, 2)
        (kept,) = await gates(client, await created(client, street, "育才社区"), 1)
        await client.delete(f"{CHECKPOINTS}/{first['id']}", headers=admin_of(street))
        await client.post(f"{CHECKPOINTS}/bulk", json=bulk([second["id"]], "delete"), headers=admin_of(street))

        response = await client.get(
            f"{CHECKPOINTS}/names", params={"id": [first["id"], kept["id"], 999]}, headers=PROVINCE_ADMIN
        )

        assert response.status_code == 200, response.text
        assert response.json()["items"] == [
            {
                "id": kept["id"],
                "name": "1 号门",
                "kind": "community",
                "kind_label": "小区/社区",
                "region_id": kept["region_id"],
                "region_name": "育才社区",
                "removed": False,
            },
            {
                "id": first["id"],
                "name": "1 号门",
                "kind": "community",
                "kind_label": "小区/社区",
                "region_id": street["id"],
                "region_name": "育才街道",
                "removed": True,
            },
        ]

    async def test_a_new_checkpoint_never_takes_a_deleted_ones_id_or_is_refused_its_name(
        self, client: httpx.AsyncClient, street: Json
    ) -> None:
        _, second = await gates(client, street, 2)
        await client.delete(f"{CHECKPOINTS}/{second['id']}", headers=admin_of(street))

        template = await builtin(client, "residential_gate")
        again = await added(
            client,
            admin_of(street),
            region_id=street["id"],
            name="2 号门",
            kind="community",
            template_id=template["id"],
        )

        assert again["id"] > second["id"]
        assert await listed(client, street) == ["1 号门", "2 号门"]

    async def test_another_regions_checkpoint_is_not_found_and_stays(
        self, client: httpx.AsyncClient, street: Json, other_city: Json
    ) -> None:
        (gate,) = await gates(client, street, 1)

        response = await client.delete(f"{CHECKPOINTS}/{gate['id']}", headers=admin_of(other_city))
        names = await client.get(f"{CHECKPOINTS}/names", params={"id": gate["id"]}, headers=admin_of(other_city))

        assert response.status_code == 403
        assert await listed(client, street) == ["1 号门"]
        assert names.json()["items"] == []


class TestBulk:
    async def test_many_are_deactivated_then_activated_and_redis_follows(
        self, client: httpx.AsyncClient, cache: Redis, street: Json
    ) -> None:
        chosen = await gates(client, street, 3)
        ids = [gate["id"] for gate in chosen]

        off = await client.post(f"{CHECKPOINTS}/bulk", json=bulk(ids, "deactivate"), headers=admin_of(street))
        again = await client.post(f"{CHECKPOINTS}/bulk", json=bulk(ids[:1], "deactivate"), headers=admin_of(street))

        assert off.json() == {"action": "deactivate", "count": 3}
        assert again.json() == {"action": "deactivate", "count": 0}
        for gate in chosen:
            assert b'"active":false' in (await cache.get(config_key(gate["code"])) or b"")
        on = await client.post(f"{CHECKPOINTS}/bulk", json=bulk(ids[1:], "activate"), headers=admin_of(street))
        assert on.json() == {"action": "activate", "count": 2}
        page = (await client.get(CHECKPOINTS, params={"active": True}, headers=admin_of(street))).json()
        assert sorted(item["id"] for item in page["items"]) == ids[1:]

    async def test_thirty_imported_by_mistake_go_at_once(
        self, client: httpx.AsyncClient, cache: Redis, street: Json
    ) -> None:
        chosen = await gates(client, street, 30)

        response = await client.post(
            f"{CHECKPOINTS}/bulk", json=bulk([gate["id"] for gate in chosen], "delete"), headers=admin_of(street)
        )

        assert response.json() == {"action": "delete", "count": 30}
        assert await listed(client, street) == []
        assert await cache.get(config_key(chosen[-1]["code"])) is None

    async def test_one_id_outside_the_subtree_changes_nothing(
        self, client: httpx.AsyncClient, street: Json, other_city: Json
    ) -> None:
        mine = await gates(client, street, 2)
        (theirs,) = await gates(client, other_city, 1)
        ids = [gate["id"] for gate in mine] + [theirs["id"]]

        response = await client.post(f"{CHECKPOINTS}/bulk", json=bulk(ids, "delete"), headers=admin_of(street))

        assert (response.status_code, response.json()["code"]) == (404, "checkpoint_not_found")
        assert str(theirs["id"]) in response.json()["detail"]
        assert await listed(client, street) == ["1 号门", "2 号门"]

    @pytest.mark.parametrize("body", [{"ids": [], "action": "delete"}, {"ids": [1], "action": "explode"}])
    async def test_a_bad_request_names_its_field(self, client: httpx.AsyncClient, body: Json) -> None:
        response = await client.post(f"{CHECKPOINTS}/bulk", json=body, headers=PROVINCE_ADMIN)
        assert response.status_code == 422

    async def test_the_posters_of_the_chosen_checkpoints_come_in_one_pdf(
        self, client: httpx.AsyncClient, street: Json, other_city: Json
    ) -> None:
        chosen = await gates(client, street, 2)
        (theirs,) = await gates(client, other_city, 1)

        response = await client.post(
            f"{CHECKPOINTS}/posters", json={"ids": [gate["id"] for gate in chosen]}, headers=admin_of(street)
        )
        refused = await client.post(f"{CHECKPOINTS}/posters", json={"ids": [theirs["id"]]}, headers=admin_of(street))

        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
        assert response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 1
        assert refused.status_code == 404
