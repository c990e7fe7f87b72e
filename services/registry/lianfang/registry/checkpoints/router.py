from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lianfang.common.auth import CurrentAdmin
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.db import DbSession
from lianfang.common.errors import Forbidden, ValidationFailed, error_responses
from lianfang.registry.checkpoints.schemas import CheckpointCreate, CheckpointOut, CheckpointPage, CheckpointUpdate
from lianfang.registry.checkpoints.service import CheckpointConfigs, CheckpointService
from lianfang.registry.deps import Registry
from lianfang.registry.errors import CheckpointNameTaken, CheckpointNotFound
from lianfang.registry.models import CheckpointKind

__all__ = ["internal_router", "router"]

router = APIRouter(prefix=f"{REGISTRY}/checkpoints", tags=["卡口"])


@router.get("", responses=error_responses(Forbidden, ValidationFailed))
async def list_checkpoints(
    admin: CurrentAdmin,
    session: DbSession,
    parts: Registry,
    region_id: Annotated[int | None, Query(description="该地区及其下级地区的卡口")] = None,
    kind: CheckpointKind | None = None,
    q: Annotated[str | None, Query(max_length=64, description="名称包含，或卡口编码")] = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CheckpointPage:
    """Checkpoints of the caller's subtree, newest first."""
    page = await CheckpointService(session, parts, admin).page(
        region_id=region_id, kind=kind, query=q, active=active, cursor=cursor, limit=limit
    )
    return CheckpointPage(items=page.items, next_cursor=page.next_cursor)


@router.post("", status_code=201, responses=error_responses(Forbidden, CheckpointNameTaken, ValidationFailed))
async def create_checkpoint(
    body: CheckpointCreate, admin: CurrentAdmin, session: DbSession, parts: Registry
) -> CheckpointOut:
    """A checkpoint gets its public `code` and `qr_url`; its config reaches the check-in service at once."""
    service = CheckpointService(session, parts, admin)
    return await service.out(await service.create(body))


@router.get("/{checkpoint_id}", responses=error_responses(CheckpointNotFound, Forbidden))
async def get_checkpoint(checkpoint_id: int, admin: CurrentAdmin, session: DbSession, parts: Registry) -> CheckpointOut:
    service = CheckpointService(session, parts, admin)
    return await service.out(await service.get(checkpoint_id))


@router.patch(
    "/{checkpoint_id}", responses=error_responses(CheckpointNotFound, Forbidden, CheckpointNameTaken, ValidationFailed)
)
async def update_checkpoint(
    checkpoint_id: int, body: CheckpointUpdate, admin: CurrentAdmin, session: DbSession, parts: Registry
) -> CheckpointOut:
    """Change rules, move to another template or version, or deactivate (`active: false`)."""
    service = CheckpointService(session, parts, admin)
    return await service.out(await service.update(checkpoint_id, body))


# For the check-in service on a Redis miss. Public data (the check-in page shows it to anyone), so no token; nginx keeps
# `/api/*/internal/` off the internet all the same.
internal_router = APIRouter(prefix=f"{REGISTRY}/internal", tags=["内部接口"])


@internal_router.get("/checkpoints/{code}/config", responses=error_responses(CheckpointNotFound))
async def checkpoint_config(code: str, session: DbSession, parts: Registry) -> CheckpointConfig:
    return await CheckpointConfigs(session, parts).by_code(code)
