from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from lianfang.common.settings import WeChatMode
from lianfang.common.testing import serve
from lianfang.gateway.main import create_app
from lianfang.gateway.wechat.testing import FakeEndpoint
from lianfang.gateway.wechat.testing.png import png_size

from .conftest import ROOT_PASSWORD, Gateway, gateway_settings

BODY = {"scene": "K7M3QF9X", "page": "pages/checkin/index"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def admin_token(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/auth/admin/login", json={"username": "admin", "password": ROOT_PASSWORD})
    token: str = response.json()["access_token"]
    return token


class TestWxacode:
    async def test_an_admin_gets_the_png(self, gateway: Gateway) -> None:
        token = await admin_token(gateway.client)

        response = await gateway.client.post(
            "/api/auth/internal/wechat/wxacode", json=BODY | {"width": 300}, headers=bearer(token)
        )

        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert png_size(response.content) == (300, 300)
        assert gateway.wechat.calls(FakeEndpoint.wxacode_unlimited) == 1

    async def test_only_an_admin_may_spend_wechats_quota(self, gateway: Gateway) -> None:
        resident = (await gateway.client.post("/api/auth/dev/login", json={"openid": "o-wxacode"})).json()

        anonymous = await gateway.client.post("/api/auth/internal/wechat/wxacode", json=BODY)
        as_resident = await gateway.client.post(
            "/api/auth/internal/wechat/wxacode", json=BODY, headers=bearer(resident["access_token"])
        )

        assert anonymous.status_code == 401
        assert as_resident.status_code == 403
        assert gateway.wechat.calls(FakeEndpoint.wxacode_unlimited) == 0

    async def test_a_scene_wechat_would_refuse_is_refused_before_asking(self, gateway: Gateway) -> None:
        token = await admin_token(gateway.client)

        response = await gateway.client.post(
            "/api/auth/internal/wechat/wxacode", json={"scene": "码" * 4, "page": "/pages/x"}, headers=bearer(token)
        )

        assert response.status_code == 422
        assert {error["field"] for error in response.json()["errors"]} == {"scene", "page"}
        assert gateway.wechat.calls(FakeEndpoint.wxacode_unlimited) == 0

    async def test_wechats_refusal_reaches_the_admin(self, gateway: Gateway) -> None:
        token = await admin_token(gateway.client)

        response = await gateway.client.post(
            "/api/auth/internal/wechat/wxacode",
            json={"scene": "K7M3QF9X", "page": "pages/gone/index"},
            headers=bearer(token),
        )

        assert response.status_code == 502
        assert response.json()["code"] == "wechat_page_invalid"


@pytest.fixture
async def dev_gateway_without_wechat(accounts_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(
        accounts_url, redis_url, wechat_mode=WeChatMode.dev, wechat_api_base="https://api.weixin.qq.com"
    )
    async with serve(create_app(settings)) as client:
        yield client


async def test_dev_mode_without_wechat_draws_codes_with_the_fake_in_process(
    dev_gateway_without_wechat: httpx.AsyncClient,
) -> None:
    token = await admin_token(dev_gateway_without_wechat)

    response = await dev_gateway_without_wechat.post(
        "/api/auth/internal/wechat/wxacode", json=BODY, headers=bearer(token)
    )

    assert response.status_code == 200
    assert png_size(response.content) == (430, 430)
