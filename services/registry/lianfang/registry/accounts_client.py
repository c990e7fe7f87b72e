"""The gateway as the registry needs it: are there accounts left in a region about to be deleted?"""

from __future__ import annotations

import httpx

from lianfang.common.clients import ServiceClient

__all__ = ["AccountsClient"]

_COUNT_UP_TO = 200


class AccountsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._service = ServiceClient(http, name="账号服务")

    async def count_in_region(self, region_id: int, token: str) -> int:
        """Accounts bound to the region itself, counted up to 200 (enough to say what is left)."""
        body = await self._service.get_json("/api/auth/admins", token, {"region_id": region_id, "limit": _COUNT_UP_TO})
        return 0 if not isinstance(body, dict) else len(body.get("items", []))
