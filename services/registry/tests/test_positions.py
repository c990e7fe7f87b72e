from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.common.auth import StaffPrincipal
from lianfang.common.cache import connect_cache
from lianfang.common.contracts.checkpoints import config_key
from lianfang.common.testing import bearer
from lianfang.registry.settings import RegistrySettings

from .test_checkpoints import CHECKPOINTS, added, builtin
from .test_regions import Json, admin_of, created

pytestmark = pytest.mark.usefixtures("backend")

YUCAI = {"latitude": 38.04281, "longitude": 114.51482}


@pytest.fixture
async def cache(settings: RegistrySettings) -> AsyncIterator[Redis]:
    client = connect_cache(settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def city(client: httpx.AsyncClient) -> Json:
    return await created(client, 1, "石家庄市", "130100")


async def gate(client: httpx.AsyncClient, city: Json, **extra: object) -> Json:
    template = await builtin(client, "residential_gate")
    return await added(
        client,
        admin_of(city),
        region_id=city["id"],
        name="育才小区东门",
        kind="community",
        template_id=template["id"],
        **extra,
    )


async def config(cache: Redis, code: str) -> Json:
    stored: Json = json.loads(await cache.get(config_key(code)) or "{}")
    return stored


class TestPosition:
    async def test_a_checkpoint_made_with_a_position_keeps_it_and_tells_the_check_in_service(
        self, client: httpx.AsyncClient, city: Json, cache: Redis
    ) -> None:
        checkpoint = await gate(client, city, **YUCAI, radius_m=150)

        assert (checkpoint["latitude"], checkpoint["longitude"], checkpoint["radius_m"]) == (38.04281, 114.51482, 150)
        assert (await config(cache, checkpoint["code"]))["position"] == YUCAI | {"radius_m": 150}

    async def test_without_a_position_the_config_has_none(
        self, client: httpx.AsyncClient, city: Json, cache: Redis
    ) -> None:
        checkpoint = await gate(client, city)

        assert (checkpoint["latitude"], checkpoint["radius_m"]) == (None, 300)
        assert (await config(cache, checkpoint["code"]))["position"] is None

    async def test_one_coordinate_alone_is_refused(self, client: httpx.AsyncClient, city: Json) -> None:
        template = await builtin(client, "residential_gate")
        response = await client.post(
            CHECKPOINTS,
            json={
                "region_id": city["id"],
                "name": "门",
                "kind": "other",
                "template_id": template["id"],
                "latitude": 38,
            },
            headers=admin_of(city),
        )

        assert response.status_code == 422

    async def test_an_admin_moves_it_and_can_forget_it(
        self, client: httpx.AsyncClient, city: Json, cache: Redis
    ) -> None:
        checkpoint = await gate(client, city, **YUCAI)
        path = f"{CHECKPOINTS}/{checkpoint['id']}"

        moved = await client.patch(
            path, json={"latitude": 38.05, "longitude": 114.52, "radius_m": 80}, headers=admin_of(city)
        )
        forgotten = await client.patch(path, json={"latitude": None, "longitude": None}, headers=admin_of(city))

        assert (moved.json()["latitude"], moved.json()["radius_m"]) == (38.05, 80)
        assert forgotten.json()["latitude"] is None
        assert (await config(cache, checkpoint["code"]))["position"] is None

    async def test_its_gate_keeper_sets_it_standing_at_the_gate(
        self, client: httpx.AsyncClient, city: Json, cache: Redis
    ) -> None:
        checkpoint = await gate(client, city)
        keeper = bearer(StaffPrincipal(uuid.uuid4(), city["id"], city["path"], (checkpoint["id"],)))

        response = await client.put(
            f"{CHECKPOINTS}/{checkpoint['id']}/position", json=YUCAI | {"accuracy": 450}, headers=keeper
        )

        assert response.status_code == 204
        assert (await config(cache, checkpoint["code"]))["position"] == YUCAI | {"radius_m": 450}

    async def test_a_gate_keeper_of_another_checkpoint_may_not(self, client: httpx.AsyncClient, city: Json) -> None:
        checkpoint = await gate(client, city)
        other = bearer(StaffPrincipal(uuid.uuid4(), city["id"], city["path"], (checkpoint["id"] + 1,)))

        response = await client.put(f"{CHECKPOINTS}/{checkpoint['id']}/position", json=YUCAI, headers=other)

        assert response.status_code == 403
