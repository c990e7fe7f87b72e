"""The registry as the gateway needs it: does a region or checkpoint exist, and is it in the caller's scope?

The caller's own token is forwarded, so the registry applies its scope rule and the gateway needs no privileges of its own.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel

from lianfang.common.errors import Forbidden, ServiceUnavailable

__all__ = ["CheckpointRef", "RegionRef", "RegistryClient"]


class RegionRef(BaseModel):
    id: int
    name: str
    path: str


class CheckpointRef(BaseModel):
    id: int
    name: str
    region_id: int
    region_path: str


class RegistryClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def region(self, region_id: int, token: str) -> RegionRef | None:
        body = await self._get(f"/api/registry/regions/{region_id}", token)
        return None if body is None else RegionRef.model_validate(body)

    async def checkpoint(self, checkpoint_id: int, token: str) -> CheckpointRef | None:
        body = await self._get(f"/api/registry/checkpoints/{checkpoint_id}", token)
        return None if body is None else CheckpointRef.model_validate(body)

    async def _get(self, path: str, token: str) -> object | None:
        try:
            response = await self._http.get(path, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise ServiceUnavailable("地区服务暂时无法访问", retry_after=5) from error
        if response.status_code == 404:
            return None
        if response.status_code == 403:
            raise Forbidden("该地区不在您的管辖范围内")
        if response.status_code != 200:
            raise ServiceUnavailable("地区服务暂时无法访问", retry_after=5)
        body: object = response.json()
        return body
