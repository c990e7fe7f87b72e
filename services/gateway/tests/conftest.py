from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from lianfang.common.db import Database, create_database
from lianfang.common.settings import WeChatMode
from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Stores
from lianfang.gateway.main import MIGRATIONS, create_app
from lianfang.gateway.models import AccountsBase
from lianfang.gateway.settings import GatewaySettings
from lianfang.gateway.wechat.testing import FakeWeChat, create_fake_wechat_app

ROOT_PASSWORD = "Root-pass-2026"
APPID = "wx-test-appid"
SECRET = "wx-test-secret"


@dataclass
class Gateway:
    client: httpx.AsyncClient
    database: Database
    wechat: FakeWeChat
    app: FastAPI
    redis_url: str


@pytest.fixture
async def accounts_url(stores: Stores) -> str:
    return await stores.url("accounts", MIGRATIONS, AccountsBase.metadata)


def gateway_settings(accounts_url: str, redis_url: str, **overrides: object) -> GatewaySettings:
    values: dict[str, object] = {
        "accounts_database_url": accounts_url,
        "redis_url": redis_url,
        "root_password": ROOT_PASSWORD,
        "wechat_appid": APPID,
        "wechat_secret": SECRET,
        "wechat_api_base": "http://wechat.test",
        "wechat_mode": WeChatMode.dev,
    }
    return GatewaySettings.model_validate(values | overrides)


async def start_gateway(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    wechat = FakeWeChat({APPID: SECRET})
    app = create_app(settings, wechat_transport=httpx.ASGITransport(app=create_fake_wechat_app(wechat)))
    database = create_database(settings.accounts_database_url)
    async with serve(app) as client:
        yield Gateway(client, database, wechat, app, settings.redis_url)
    await database.dispose()


@pytest.fixture
async def gateway(accounts_url: str, redis_url: str) -> AsyncIterator[Gateway]:
    async for running in start_gateway(gateway_settings(accounts_url, redis_url)):
        yield running


@pytest.fixture
async def live_gateway(accounts_url: str, redis_url: str) -> AsyncIterator[Gateway]:
    async for running in start_gateway(gateway_settings(accounts_url, redis_url, wechat_mode=WeChatMode.live)):
        yield running
