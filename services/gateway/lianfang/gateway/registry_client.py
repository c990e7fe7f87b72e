"""The registry as the gateway needs it: does a region or checkpoint exist, and is it in the caller's scope?"""

from __future__ import annotations

import httpx
from pydantic import BaseModel

from lianfang.common.clients import ServiceClient

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
        self._service = ServiceClient(http, name="地区服务")

    async def region(self, region_id: int, token: str) -> RegionRef | None:
        body = await self._service.get_json(f"/api/registry/regions/{region_id}", token)
        return None if body is None else RegionRef.model_validate(body)

    async def checkpoint(self, checkpoint_id: int, token: str) -> CheckpointRef | None:
        body = await self._service.get_json(f"/api/registry/checkpoints/{checkpoint_id}", token)
        return None if body is None else CheckpointRef.model_validate(body)
