"""Calls from one service to another on behalf of the caller, whose own token is forwarded: the answering service applies
its scope rule, and no service holds privileges of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from lianfang.common.errors import Forbidden, ServiceUnavailable

__all__ = ["ServiceClient"]


class ServiceClient:
    def __init__(self, http: httpx.AsyncClient, *, name: str) -> None:
        self._http = http
        self._name = name

    async def get_json(
        self, path: str, token: str, params: Mapping[str, str | int | Sequence[int]] | None = None
    ) -> object | None:
        """The answer's JSON; None on 404; the caller's 403 passed on; anything else is the other service being down."""
        try:
            response = await self._http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{self._name}暂时无法访问", retry_after=5) from error
        if response.status_code == 404:
            return None
        if response.status_code == 403:
            raise Forbidden("该地区不在您的管辖范围内")
        if response.status_code != 200:
            raise ServiceUnavailable(f"{self._name}暂时无法访问", retry_after=5)
        body: object = response.json()
        return body
