"""Mini-program codes for the registry, which offers them to admins (`GET /api/registry/checkpoints/{id}/wxacode.png`)
and caches them: the gateway holds the WeChat client and its access token, so the call is made here. Internal (nginx keeps
`/api/*/internal/` off the internet) and an admin's forwarded token is required all the same: WeChat limits the calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from lianfang.common.auth import CurrentAdmin
from lianfang.common.contracts.paths import AUTH
from lianfang.common.errors import ServiceUnavailable, TooManyRequests, error_responses
from lianfang.gateway.deps import WeChat
from lianfang.gateway.wechat.errors import WeChatError, WeChatPageInvalid
from lianfang.gateway.wxacodes.schemas import WxacodeRequest

__all__ = ["internal_router"]

internal_router = APIRouter(prefix=f"{AUTH}/internal", tags=["内部接口"])
_PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}, "description": "透明底色的小程序码"}}


@internal_router.post(
    "/wechat/wxacode",
    response_class=Response,
    responses=_PNG | error_responses(WeChatPageInvalid, TooManyRequests, ServiceUnavailable, WeChatError),
)
async def wxacode(body: WxacodeRequest, _admin: CurrentAdmin, wechat: WeChat) -> Response:
    image = await wechat.wxacode_unlimited(
        body.scene, page=body.page, width=body.width, env_version=body.env_version, check_path=body.check_path
    )
    return Response(image, media_type="image/png")
