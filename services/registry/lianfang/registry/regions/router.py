from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from lianfang.common.auth import BearerToken
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.db import RowId
from lianfang.common.errors import Forbidden, ValidationFailed, error_responses
from lianfang.registry.errors import OwnRegionReadOnly, RegionConflict, RegionNotEmpty, RegionNotFound
from lianfang.registry.models import RegionLevel
from lianfang.registry.regions.schemas import (
    RegionCreate,
    RegionDetail,
    RegionNode,
    RegionOut,
    RegionPage,
    RegionUpdate,
)
from lianfang.registry.regions.service import Regions

__all__ = ["router"]

router = APIRouter(prefix=f"{REGISTRY}/regions", tags=["地区"])


@router.post("", status_code=201, responses=error_responses(Forbidden, ValidationFailed, RegionConflict))
async def create_region(body: RegionCreate, regions: Regions) -> RegionOut:
    """Add a region under a region of the caller's subtree; its level is the one below its parent's."""
    return await regions.create(body)


@router.get("/tree", responses=error_responses(RegionNotFound))
async def region_tree(regions: Regions, depth: Annotated[int | None, Query(ge=0, le=4)] = None) -> RegionNode:
    """The caller's region with everything below it, nested; `depth` limits how many levels below it are included."""
    return await regions.tree(depth)


@router.get("", responses=error_responses(Forbidden, ValidationFailed))
async def list_regions(
    regions: Regions,
    parent_id: RowId | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    level: RegionLevel | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RegionPage:
    """Regions of the caller's subtree, newest first: `parent_id` the children of one region, `q` a part of the name."""
    return await regions.page(parent_id=parent_id, query=q, level=level, cursor=cursor, limit=limit)


@router.get("/{region_id}", responses=error_responses(RegionNotFound, Forbidden))
async def get_region(region_id: int, regions: Regions) -> RegionDetail:
    """One region of the caller's subtree with its ancestors from the root down."""
    return await regions.get(region_id)


@router.patch(
    "/{region_id}",
    responses=error_responses(RegionNotFound, Forbidden, OwnRegionReadOnly, ValidationFailed, RegionConflict),
)
async def update_region(region_id: int, body: RegionUpdate, regions: Regions) -> RegionOut:
    """Rename or recode a region strictly below the caller's own region; the caller's own region is left to its
    superiors."""
    return await regions.update(region_id, body)


@router.delete(
    "/{region_id}",
    status_code=204,
    responses=error_responses(RegionNotFound, Forbidden, OwnRegionReadOnly, RegionNotEmpty),
)
async def delete_region(region_id: int, regions: Regions, token: BearerToken) -> Response:
    """Delete an empty region strictly below the caller's own; a region with anything left in it (sub-regions,
    checkpoints, templates, accounts) answers 409 naming it."""
    await regions.delete(region_id, token)
    return Response(status_code=204)
