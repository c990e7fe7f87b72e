"""Which records a caller may read: those whose ancestry names the caller's region (or the region asked for, when it
lies below) at that region's level."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lianfang.common.auth import AdminPrincipal, ensure_in_scope
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed
from lianfang.trace.directory import NameDirectory

__all__ = ["LEVEL_COUNT", "Scope", "caller_scope", "depth_of", "scope_for"]

log = logging.getLogger(__name__)

# province › city › county › township › unit: one ancestry column of the records store each.
LEVEL_COUNT = 5


def depth_of(region_path: str) -> int:
    """`/1/` is 0 (the province), `/1/7/42/` is 2 (a county)."""
    return region_path.strip("/").count("/")


@dataclass(frozen=True, slots=True)
class Scope:
    region_id: int
    depth: int
    # The ids of the path from the province down to the region itself.
    lineage: tuple[int, ...] = ()
    # The shard key of a city or a region below it: on a sharded store its queries then go to its city's shard alone.
    city_code: str | None = None

    @property
    def city_id(self) -> int | None:
        return self.lineage[1] if len(self.lineage) > 1 else None

    @classmethod
    def of(cls, region_id: int, region_path: str, city_code: str | None = None) -> Scope:
        depth = depth_of(region_path)
        if not 0 <= depth < LEVEL_COUNT:
            raise ValueError(f"region path {region_path!r} is deeper than the records store's ancestry")
        lineage = tuple(int(part) for part in region_path.strip("/").split("/"))
        return cls(region_id, depth, lineage, city_code if depth > 0 else None)

    @classmethod
    def of_caller(cls, caller: AdminPrincipal) -> Scope:
        return cls.of(caller.region_id, caller.region_path)


async def caller_scope(caller: AdminPrincipal, directory: NameDirectory, token: str) -> Scope:
    """The caller's own scope, with its city's shard key from the registry (cached) below the province. Without the
    registry the scope still holds, only unpruned: its queries then ask every shard."""
    scope = Scope.of_caller(caller)
    if scope.depth == 0:
        return scope
    try:
        region = await directory.region(caller.region_id, token)
    except (ServiceUnavailable, Forbidden):
        log.warning("no city code for region %s from the registry", caller.region_id, exc_info=True)
        return scope
    return scope if region is None else Scope.of(caller.region_id, caller.region_path, region.city_code)


async def scope_for(caller: AdminPrincipal, region_id: int | None, directory: NameDirectory, token: str) -> Scope:
    """The caller's own scope, or a region below it (403 outside it, 422 when there is no such region)."""
    if region_id is None or region_id == caller.region_id:
        return await caller_scope(caller, directory, token)
    region = await directory.region(region_id, token)
    if region is None:
        raise ValidationFailed.field("region_id", "地区不存在", "not_found")
    ensure_in_scope(caller, region.path)
    return Scope.of(region.id, region.path, region.city_code)
