from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from lianfang.common.testing import serve
from lianfang.registry.main import create_app
from lianfang.registry.settings import RegistrySettings

from .test_poster_routes import checkpoint
from .test_regions import Json, admin_of, created

pytestmark = pytest.mark.usefixtures("backend")

PNG = b"\x89PNG\r\n\x1a\n" + b"stand-in"


class Gateway:
    """The gateway's wxacode call as the registry sees it: what it was asked, and what it answers next."""

    def __init__(self) -> None:
        self.asked: list[tuple[dict[str, object], str]] = []
        self.answer = httpx.Response(200, content=PNG, headers={"Content-Type": "image/png"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/auth/internal/wechat/wxacode"
        self.asked.append((json.loads(request.content), request.headers["Authorization"]))
        return self.answer


@pytest.fixture
def gateway() -> Gateway:
    return Gateway()


@pytest.fixture
async def wx_client(settings: RegistrySettings, gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings, gateway_transport=httpx.MockTransport(gateway))) as running:
        yield running


@pytest.fixture
async def city(wx_client: httpx.AsyncClient) -> Json:
    return await created(wx_client, 1, "石家庄市", "130100")


class TestMiniProgramCode:
    async def test_opens_the_check_in_page_with_the_code_as_scene(
        self, wx_client: httpx.AsyncClient, city: Json, gateway: Gateway
    ) -> None:
        gate = await checkpoint(wx_client, city, "裕华小区北门")
        headers = admin_of(city)

        response = await wx_client.get(f"/api/registry/checkpoints/{gate['id']}/wxacode.png", headers=headers)

        assert (response.status_code, response.headers["content-type"]) == (200, "image/png")
        assert response.content == PNG
        body, authorization = gateway.asked[0]
        assert body == {
            "scene": gate["code"],
            "page": "pages/checkin/index",
            "width": 430,
            "env_version": "release",
            "check_path": True,
        }
        assert authorization == headers["Authorization"]

    async def test_is_asked_of_wechat_once_then_cached(
        self, wx_client: httpx.AsyncClient, city: Json, gateway: Gateway
    ) -> None:
        gate = await checkpoint(wx_client, city, "裕华小区北门")
        path = f"/api/registry/checkpoints/{gate['id']}/wxacode.png"

        first = await wx_client.get(path, headers=admin_of(city))
        second = await wx_client.get(path, headers=admin_of(city))
        wider = await wx_client.get(path, params={"width": 860}, headers=admin_of(city))

        assert first.content == second.content == wider.content == PNG
        assert [body["width"] for body, _ in gateway.asked] == [430, 860]

    async def test_another_citys_checkpoint_has_no_code_for_you(
        self, wx_client: httpx.AsyncClient, city: Json, gateway: Gateway
    ) -> None:
        tangshan = await created(wx_client, 1, "唐山市", "130200")
        theirs = await checkpoint(wx_client, tangshan, "唐山站南口")

        response = await wx_client.get(f"/api/registry/checkpoints/{theirs['id']}/wxacode.png", headers=admin_of(city))

        assert response.status_code == 403
        assert gateway.asked == []

    async def test_an_unreleased_mini_program_is_explained(
        self, wx_client: httpx.AsyncClient, city: Json, gateway: Gateway
    ) -> None:
        gate = await checkpoint(wx_client, city, "裕华小区北门")
        gateway.answer = httpx.Response(
            502,
            json={
                "title": "小程序尚未发布该页面，无法生成小程序码",
                "status": 502,
                "code": "wechat_page_invalid",
                "detail": "微信找不到已发布的小程序页面 pages/checkin/index：请先发布小程序",
            },
        )

        response = await wx_client.get(f"/api/registry/checkpoints/{gate['id']}/wxacode.png", headers=admin_of(city))

        assert response.status_code == 502
        assert response.json() | {"type": "about:blank"} == {
            "type": "about:blank",
            "title": "小程序码生成失败",
            "status": 502,
            "code": "wxacode_failed",
            "detail": "微信找不到已发布的小程序页面 pages/checkin/index：请先发布小程序",
        }

    async def test_wechats_rate_limit_asks_to_wait(
        self, wx_client: httpx.AsyncClient, city: Json, gateway: Gateway
    ) -> None:
        gate = await checkpoint(wx_client, city, "裕华小区北门")
        gateway.answer = httpx.Response(429, json={"code": "wechat_rate_limited"}, headers={"Retry-After": "60"})

        response = await wx_client.get(f"/api/registry/checkpoints/{gate['id']}/wxacode.png", headers=admin_of(city))
        gateway.answer = httpx.Response(200, content=PNG)
        after = await wx_client.get(f"/api/registry/checkpoints/{gate['id']}/wxacode.png", headers=admin_of(city))

        assert (response.status_code, response.headers["Retry-After"]) == (429, "60")
        assert response.json()["code"] == "wxacode_rate_limited"
        assert after.status_code == 200

    async def test_a_gateway_out_of_reach_is_unavailable(
        self, wx_client: httpx.AsyncClient, city: Json, gateway: Gateway
    ) -> None:
        gate = await checkpoint(wx_client, city, "裕华小区北门")
        gateway.answer = httpx.Response(503, json={"code": "wechat_unavailable"})

        response = await wx_client.get(f"/api/registry/checkpoints/{gate['id']}/wxacode.png", headers=admin_of(city))

        assert response.status_code == 503
