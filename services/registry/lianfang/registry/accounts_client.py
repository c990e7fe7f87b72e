"""The gateway as the registry needs it: are there accounts left in a region about to be deleted? And a checkpoint's
mini-program code, made by the gateway's WeChat client (which holds the access token)."""

from __future__ import annotations

from typing import Any

import httpx

from lianfang.common.clients import ServiceClient
from lianfang.common.errors import ServiceUnavailable
from lianfang.registry.errors import MiniProgramCodeFailed, MiniProgramCodeRateLimited

__all__ = ["AccountsClient"]

_COUNT_UP_TO = 200


class AccountsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._service = ServiceClient(http, name="账号服务")

    async def count_in_region(self, region_id: int, token: str) -> int:
        """Accounts bound to the region itself, counted up to 200 (enough to say what is left)."""
        body = await self._service.get_json("/api/auth/admins", token, {"region_id": region_id, "limit": _COUNT_UP_TO})
        return 0 if not isinstance(body, dict) else len(body.get("items", []))

    async def wxacode(self, body: dict[str, Any], token: str) -> bytes:
        """The PNG of `POST /api/auth/internal/wechat/wxacode`; WeChat's refusals come back as this service's own."""
        try:
            response = await self._http.post(
                "/api/auth/internal/wechat/wxacode", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable("账号服务暂时无法访问", retry_after=5) from error
        if response.status_code == httpx.codes.OK:
            return response.content
        problem = _problem(response)
        detail = str(problem.get("detail") or problem.get("title") or "")
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
            raise MiniProgramCodeRateLimited(retry_after=int(response.headers.get("Retry-After", "60")))
        if response.status_code == httpx.codes.BAD_GATEWAY:
            raise MiniProgramCodeFailed(detail or None)
        raise ServiceUnavailable("微信服务暂不可用，请稍后重试", retry_after=5)


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
