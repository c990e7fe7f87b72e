from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Stores
from lianfang.registry.main import MIGRATIONS, create_app
from lianfang.registry.models import RegistryBase
from lianfang.registry.settings import RegistrySettings


@pytest.fixture
async def registry_url(stores: Stores) -> str:
    return await stores.url("registry", MIGRATIONS, RegistryBase.metadata)


@pytest.fixture
def settings(registry_url: str, redis_url: str, broker_url: str) -> RegistrySettings:
    return RegistrySettings(registry_database_url=registry_url, redis_url=redis_url, broker_url=broker_url)


def no_accounts(request: httpx.Request) -> httpx.Response:
    """The gateway's answer for a region without accounts; the real pairing is tested by the all-in-one suite."""
    assert request.url.path == "/api/auth/admins"
    return httpx.Response(200, json={"items": [], "next_cursor": None})


@pytest.fixture
async def client(settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings, gateway_transport=httpx.MockTransport(no_accounts))) as running:
        yield running
