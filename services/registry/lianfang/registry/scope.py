"""The scope rules the registry's domains share: which regions a caller works in, which templates a region may use."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, ensure_in_scope
from lianfang.common.errors import Forbidden, ValidationFailed
from lianfang.registry.checkpoints.repository import CheckpointRepository
from lianfang.registry.errors import CheckpointNotFound
from lianfang.registry.models import Checkpoint, Region
from lianfang.registry.regions.repository import RegionRepository

__all__ = ["ancestor_paths", "checkpoint_in_scope", "region_for_write"]


def ancestor_paths(path: str) -> list[str]:
    """`/1/7/42/` → `/1/`, `/1/7/`, `/1/7/42/`: the paths of a region and everything above it."""
    ids = path.strip("/").split("/")
    return ["/" + "".join(f"{region_id}/" for region_id in ids[: depth + 1]) for depth in range(len(ids))]


async def region_for_write(
    session: AsyncSession, caller: AdminPrincipal, region_id: int, field: str = "region_id"
) -> Region:
    """A region of the caller's subtree to put something in: 422 on `field` when there is none, 403 when it lies outside."""
    regions = RegionRepository(session)
    region = await regions.in_scope(region_id, caller.region_path)
    if region is None:
        if await regions.exists(region_id):
            raise Forbidden("该地区不在您的管辖范围内")
        raise ValidationFailed.field(field, "地区不存在", "not_found")
    return region


async def checkpoint_in_scope(
    checkpoints: CheckpointRepository, caller: AdminPrincipal, checkpoint_id: int
) -> Checkpoint:
    """A checkpoint of the caller's subtree: 404 when there is none, 403 when it lies outside."""
    checkpoint = await checkpoints.get(checkpoint_id)
    if checkpoint is None:
        raise CheckpointNotFound("卡口不存在")
    ensure_in_scope(caller, checkpoint.region_path)
    return checkpoint
