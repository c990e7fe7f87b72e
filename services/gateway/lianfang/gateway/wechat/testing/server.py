"""The fake's ASGI app: WeChat's API paths, each answered by its handler or by a failure a test scripted."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lianfang.gateway.wechat.testing import logins, phone, subscribe, tokens, wxacode
from lianfang.gateway.wechat.testing.control import control_router
from lianfang.gateway.wechat.testing.fake import FakeWeChat
from lianfang.gateway.wechat.testing.state import Answer, FakeEndpoint, Image

__all__ = ["create_fake_wechat_app"]


def create_fake_wechat_app(fake: FakeWeChat | None = None) -> FastAPI:
    fake = fake if fake is not None else FakeWeChat.from_environ()
    app = FastAPI(title="Fake WeChat API")
    app.state.fake = fake
    app.include_router(_api_router(fake))
    app.include_router(control_router(fake))
    return app


def _render(fake: FakeWeChat, endpoint: FakeEndpoint, produce: Callable[[], Answer | Image]) -> Response:
    fake.count(endpoint)
    scripted = fake.take_scripted(endpoint)
    if scripted is None:
        answer = produce()
        if isinstance(answer, Image):
            return Response(answer.content, media_type=answer.media_type)
        # ensure_ascii=False: WeChat sends UTF-8 text, not \u escapes.
        content = json.dumps(answer.body, ensure_ascii=False)
        return Response(content, media_type=answer.media_type)
    if scripted.errcode is not None:
        return JSONResponse(fake.error(scripted.errcode))
    return Response(scripted.body, status_code=scripted.status_code, media_type="text/html")


def _api_router(fake: FakeWeChat) -> APIRouter:
    router = APIRouter()

    @router.get("/sns/jscode2session")
    async def code_to_session(request: Request) -> Response:
        query = request.query_params
        return _render(fake, FakeEndpoint.code_to_session, lambda: logins.code_to_session(fake, query))

    @router.get("/sns/oauth2/access_token")
    async def oauth_access_token(request: Request) -> Response:
        query = request.query_params
        return _render(fake, FakeEndpoint.oauth_access_token, lambda: logins.oauth_access_token(fake, query))

    @router.api_route("/cgi-bin/stable_token", methods=["GET", "POST"])
    async def stable_token(request: Request) -> Response:
        raw = await request.body()
        return _render(fake, FakeEndpoint.stable_token, lambda: tokens.stable_token(fake, request.method, raw))

    @router.post("/wxa/business/getuserphonenumber")
    async def phone_number(request: Request) -> Response:
        query, raw = request.query_params, await request.body()
        return _render(fake, FakeEndpoint.phone_number, lambda: phone.phone_number(fake, query, raw))

    @router.post("/wxa/getwxacodeunlimit")
    async def wxacode_unlimited(request: Request) -> Response:
        query, raw = request.query_params, await request.body()
        return _render(fake, FakeEndpoint.wxacode_unlimited, lambda: wxacode.wxacode_unlimited(fake, query, raw))

    @router.post("/cgi-bin/message/subscribe/send")
    async def subscribe_send(request: Request) -> Response:
        query, raw = request.query_params, await request.body()
        return _render(fake, FakeEndpoint.subscribe_send, lambda: subscribe.subscribe_send(fake, query, raw))

    @router.get("/connect/oauth2/authorize")
    async def authorize(request: Request) -> Response:
        return logins.authorize(fake, request.query_params)

    return router
