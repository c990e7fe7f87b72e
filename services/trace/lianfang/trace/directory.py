"""Names and paths of regions and checkpoints, from the registry (the records store keeps ids only).

Every call forwards the caller's own token, so the registry applies its scope rule. Answers are kept in-process for
`LIANFANG_NAMES_CACHE_SECONDS`: a page of records asks only for the checkpoints not seen lately.

The checkpoints a page names and the cache does not hold are asked for in one call (`GET
/api/registry/checkpoints/names?id=…`, up to 200 at a time, deleted checkpoints included): a cold page of a unit's records or a contact screening across
dozens of places costs one round trip, not one per checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from lianfang.common.clients import ServiceClient
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.errors import Forbidden, ServiceUnavailable
from lianfang.common.forms import FormField

__all__ = ["CheckpointInfo", "FormVersion", "NameDirectory", "RegionInfo", "RegistryDirectory"]

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class RegionInfo(BaseModel):
    id: int
    name: str
    level: str
    path: str
    # The records' shard key of the region's subtree (None above the cities).
    city_code: str | None = None


class CheckpointInfo(BaseModel):
    id: int
    name: str
    kind: str
    kind_label: str
    region_id: int
    region_name: str


class FormVersion(BaseModel):
    """One version of a form template as residents filled it: versions never change once saved."""

    id: int
    name: str
    version: int
    fields: list[FormField]


class _CheckpointPage(BaseModel):
    items: list[CheckpointInfo]


# Ids per registry call: the most its list answers at once.
_BATCH = 200


class NameDirectory(Protocol):
    async def region(self, region_id: int, token: str) -> RegionInfo | None:
        """The region, None when there is none; 403 when it lies outside the caller's scope."""

    async def checkpoints(self, checkpoint_ids: Iterable[int], token: str) -> dict[int, CheckpointInfo]:
        """The checkpoints found; names are for display, so one the registry cannot give is left out, not an error."""

    async def regions(self, region_ids: Iterable[int], token: str) -> dict[int, RegionInfo]:
        """The regions found, for display like `checkpoints`."""

    async def form_versions(
        self, versions: Iterable[tuple[int, int]], token: str
    ) -> dict[tuple[int, int], FormVersion]:
        """The (template id, version) pairs found, for labelling answers; one the registry cannot give is left out."""


@dataclass
class _Entry(Generic[V]):
    value: V
    expires: float


class _TtlCache(Generic[K, V]):
    def __init__(self, seconds: float, size: int) -> None:
        self._seconds = seconds
        self._size = size
        self._entries: dict[K, _Entry[V]] = {}

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires < time.monotonic():
            del self._entries[key]
            return None
        return entry.value

    def put(self, key: K, value: V) -> None:
        if self._seconds <= 0:
            return
        self._entries.pop(key, None)
        while len(self._entries) >= self._size:
            # Dicts keep insertion order: the first entry is the oldest.
            del self._entries[next(iter(self._entries))]
        self._entries[key] = _Entry(value, time.monotonic() + self._seconds)


class RegistryDirectory:
    def __init__(self, http: httpx.AsyncClient, *, cache_seconds: float, cache_size: int, concurrency: int) -> None:
        self._registry = ServiceClient(http, name="地区与卡口服务")
        self._regions: _TtlCache[int, RegionInfo] = _TtlCache(cache_seconds, cache_size)
        self._checkpoints: _TtlCache[int, CheckpointInfo] = _TtlCache(cache_seconds, cache_size)
        self._forms: _TtlCache[tuple[int, int], FormVersion] = _TtlCache(cache_seconds, cache_size)
        self._concurrency = asyncio.Semaphore(concurrency)

    async def region(self, region_id: int, token: str) -> RegionInfo | None:
        # A cached region skips the registry's scope check: callers compare its path with their own.
        cached = self._regions.get(region_id)
        if cached is not None:
            return cached
        body = await self._registry.get_json(f"{REGISTRY}/regions/{region_id}", token)
        if body is None:
            return None
        try:
            region = RegionInfo.model_validate(body)
        except ValidationError as error:
            raise ServiceUnavailable("地区与卡口服务的应答无法识别", retry_after=5) from error
        self._regions.put(region_id, region)
        return region

    async def checkpoints(self, checkpoint_ids: Iterable[int], token: str) -> dict[int, CheckpointInfo]:
        found: dict[int, CheckpointInfo] = {}
        missing: list[int] = []
        for checkpoint_id in set(checkpoint_ids):
            cached = self._checkpoints.get(checkpoint_id)
            if cached is None:
                missing.append(checkpoint_id)
            else:
                found[checkpoint_id] = cached
        if missing:
            batches = [missing[start : start + _BATCH] for start in range(0, len(missing), _BATCH)]
            for fetched in await asyncio.gather(*(self._checkpoint_batch(batch, token) for batch in batches)):
                found.update(fetched)
        return found

    async def regions(self, region_ids: Iterable[int], token: str) -> dict[int, RegionInfo]:
        fetched = await asyncio.gather(*(self._named_region(region_id, token) for region_id in set(region_ids)))
        return {region.id: region for region in fetched if region is not None}

    async def form_versions(
        self, versions: Iterable[tuple[int, int]], token: str
    ) -> dict[tuple[int, int], FormVersion]:
        wanted = set(versions)
        found = {key: form for key in wanted if (form := self._forms.get(key)) is not None}
        fetched = await asyncio.gather(*(self._form_version(key, token) for key in wanted - found.keys()))
        found.update(((form.id, form.version), form) for form in fetched if form is not None)
        return found

    async def _form_version(self, key: tuple[int, int], token: str) -> FormVersion | None:
        template_id, version = key
        async with self._concurrency:
            try:
                body = await self._registry.get_json(f"{REGISTRY}/templates/{template_id}/versions/{version}", token)
                form = None if body is None else FormVersion.model_validate(body)
            except (ServiceUnavailable, Forbidden, ValidationError):
                # Answers are still shown, by their keys, when the registry cannot label them now (not remembered).
                log.warning("no form template %s version %s from the registry", template_id, version, exc_info=True)
                return None
        if form is not None:
            self._forms.put(key, form)
        return form

    async def _named_region(self, region_id: int, token: str) -> RegionInfo | None:
        async with self._concurrency:
            try:
                return await self.region(region_id, token)
            except (ServiceUnavailable, Forbidden):
                log.warning("no name for region %s from the registry", region_id, exc_info=True)
                return None

    async def _checkpoint_batch(self, checkpoint_ids: list[int], token: str) -> dict[int, CheckpointInfo]:
        async with self._concurrency:
            try:
                body = await self._registry.get_json(f"{REGISTRY}/checkpoints/names", token, {"id": checkpoint_ids})
                items = [] if body is None else _CheckpointPage.model_validate(body).items
            except (ServiceUnavailable, Forbidden, ValidationError):
                # The records are the answer; names the registry cannot give now are shown blank, not turned into a
                # failure of the whole query (and not remembered, so the next page asks again).
                log.warning("no names for checkpoints %s from the registry", checkpoint_ids, exc_info=True)
                return {}
        for checkpoint in items:
            self._checkpoints.put(checkpoint.id, checkpoint)
        return {checkpoint.id: checkpoint for checkpoint in items}
