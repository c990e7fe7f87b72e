from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from pydantic import ValidationError

from lianfang.common.auth import AdminPrincipal
from lianfang.common.contracts.regions import ROOT_REGION_ID, ROOT_REGION_PATH
from lianfang.common.db import create_database
from lianfang.common.settings import Environment
from lianfang.common.testing import bearer, serve
from lianfang.registry.bootstrap import ensure_root_region
from lianfang.registry.main import create_app
from lianfang.registry.settings import RegistrySettings

# Made at import and used all through the run, so it outlives the slowest run.
PROVINCE_ADMIN = bearer(AdminPrincipal(uuid.uuid4(), ROOT_REGION_ID, ROOT_REGION_PATH), minutes=24 * 60)


async def regions_in(client: httpx.AsyncClient) -> list[tuple[int, str]]:
    page = (await client.get("/api/registry/regions", headers=PROVINCE_ADMIN)).json()
    return [(region["id"], region["name"]) for region in page["items"]]


async def test_the_first_start_creates_the_root_province_named_by_the_environment(
    registry_url: str, redis_url: str, broker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANFANG_ROOT_REGION_NAME", "山西省")
    monkeypatch.setenv("LIANFANG_ROOT_REGION_CODE", "140000")
    settings = RegistrySettings(registry_database_url=registry_url, redis_url=redis_url, broker_url=broker_url)
    async with serve(create_app(settings)) as client:
        root = (await client.get(f"/api/registry/regions/{ROOT_REGION_ID}", headers=PROVINCE_ADMIN)).json()
    assert {
        key: root[key] for key in ("id", "parent_id", "name", "code", "level", "path", "city_code", "ancestors")
    } == {
        "id": ROOT_REGION_ID,
        "parent_id": None,
        "name": "山西省",
        "code": "140000",
        "level": "province",
        "path": ROOT_REGION_PATH,
        "city_code": "1400",
        "ancestors": [],
    }


async def test_later_starts_leave_the_root_alone(settings: RegistrySettings) -> None:
    async with serve(create_app(settings)) as client:
        assert await regions_in(client) == [(ROOT_REGION_ID, "河北省")]
    renamed = settings.model_copy(update={"root_region_name": "山西省", "root_region_code": "140000"})
    async with serve(create_app(renamed)) as client:
        assert await regions_in(client) == [(ROOT_REGION_ID, "河北省")]


async def test_two_instances_starting_at_once_make_one_root(settings: RegistrySettings) -> None:
    databases = [create_database(settings.registry_database_url) for _ in range(2)]
    try:
        created = await asyncio.gather(*(ensure_root_region(database, settings) for database in databases))
    finally:
        for database in databases:
            await database.dispose()
    assert sorted(created) == [False, True]
    async with serve(create_app(settings)) as client:
        assert await regions_in(client) == [(ROOT_REGION_ID, "河北省")]


async def test_is_ready_once_its_database_and_redis_answer(settings: RegistrySettings) -> None:
    async with serve(create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200


async def test_production_refuses_an_embedded_database(settings: RegistrySettings) -> None:
    with pytest.raises(ValidationError, match="LIANFANG_REGISTRY_DATABASE_URL is 'sqlite"):
        RegistrySettings(
            env=Environment.production,
            registry_database_url="sqlite+aiosqlite:///registry.db",
            redis_url="redis://redis:6379/0",
            broker_url="amqp://rabbitmq/",
        )
    assert "REGISTRY_DATABASE_URL" not in " ".join(
        settings.model_copy(update={"registry_database_url": "mysql+asyncmy://db/registry"}).production_problems()
    )
