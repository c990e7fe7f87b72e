from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from lianfang.allinone.app import AllInOne
from lianfang.allinone.settings import IN_PROCESS_ORIGIN, AllInOneSettings, checkin_settings
from lianfang.common.contracts.records import RecordsBase
from lianfang.common.settings import WeChatMode
from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Stores
from lianfang.gateway import main as gateway
from lianfang.gateway.models import AccountsBase
from lianfang.gateway.settings import GatewaySettings
from lianfang.ingest import main as ingest
from lianfang.ingest.settings import IngestSettings
from lianfang.registry import main as registry
from lianfang.registry.models import RegistryBase
from lianfang.registry.settings import RegistrySettings
from lianfang.trace import main as trace
from lianfang.trace.models import TraceBase
from lianfang.trace.settings import TraceSettings

ROOT_PASSWORD = "Root-pass-2026"
FIRST_PASSWORD = "First-pass-2026"  # what a maker sets for a new account, which then changes it


@dataclass
class Session:
    """A client of Lianfang's API, wherever it is served."""

    client: httpx.AsyncClient

    async def login(self, username: str = "admin", password: str = ROOT_PASSWORD) -> dict[str, str]:
        response = await self.client.post("/api/auth/admin/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def add_account(self, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
        """`POST /api/auth/admins` as `headers`' admin, and a made account ready to use with `body["password"]`: it is
        made with another password and changes it to that one, as a new account must before anything else."""
        response = await self.client.post("/api/auth/admins", json=body | {"password": FIRST_PASSWORD}, headers=headers)
        if response.status_code == 201:
            first = await self.login(body["username"], FIRST_PASSWORD)
            change = {"old_password": FIRST_PASSWORD, "new_password": body["password"]}
            changed = await self.client.post("/api/auth/me/password", json=change, headers=first)
            assert changed.status_code == 204, changed.text
        return response

    async def region(self, headers: dict[str, str], parent_id: int, name: str, code: str | None = None) -> int:
        response = await self.client.post(
            "/api/registry/regions", json={"parent_id": parent_id, "name": name, "code": code}, headers=headers
        )
        assert response.status_code == 201, response.text
        region_id: int = response.json()["id"]
        return region_id


@dataclass
class System(Session):
    """Lianfang in one process, as `lianfang run` serves it, on the backends of this test run."""

    app: AllInOne


async def system_settings(stores: Stores, redis_url: str, broker_url: str, data_dir: Path) -> AllInOneSettings:
    # Revocations are read every 250 ms, so a test sees one take effect sooner than within 2 s.
    shared: dict[str, Any] = {"redis_url": redis_url, "broker_url": broker_url, "revocation_refresh_seconds": 0.25}
    records = await stores.url("records", ingest.MIGRATIONS, RecordsBase.metadata)
    return AllInOneSettings(
        data_dir=data_dir,
        gateway=GatewaySettings(
            accounts_database_url=await stores.url("accounts", gateway.MIGRATIONS, AccountsBase.metadata),
            root_password=ROOT_PASSWORD,
            registry_url=IN_PROCESS_ORIGIN,
            wechat_mode=WeChatMode.dev,
            **shared,
        ),
        registry=RegistrySettings(
            registry_database_url=await stores.url("registry", registry.MIGRATIONS, RegistryBase.metadata),
            gateway_url=IN_PROCESS_ORIGIN,
            **shared,
        ),
        checkin=checkin_settings(records, **shared),
        ingest=IngestSettings(records_database_url=records, ingest_flush_ms=10, **shared),
        trace=TraceSettings(
            records_database_url=records,
            trace_database_url=await stores.url("trace", trace.MIGRATIONS, TraceBase.metadata),
            registry_url=IN_PROCESS_ORIGIN,
            **shared,
        ),
    )


@pytest.fixture
async def system(stores: Stores, redis_url: str, broker_url: str, tmp_path: Path) -> AsyncIterator[System]:
    settings = await system_settings(stores, redis_url, broker_url, tmp_path)
    # Every start rebuilds the gate's state; its two barriers prove the store took what was in flight, and the quiet
    # wait beside them (the product's 1.5 s, which the fault tests keep) would be most of each test's time.
    quick = settings.checkin.model_copy(update={"rebuild_settle_seconds": 0.1, "projection_poll_seconds": 0.1})
    app = AllInOne(dataclasses.replace(settings, checkin=quick))
    async with serve(app.root, asgi=app.asgi) as client:
        yield System(client, app)
