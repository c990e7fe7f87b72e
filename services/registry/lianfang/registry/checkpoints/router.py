from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from lianfang.common.auth import CurrentAdmin, CurrentStaffOrAdmin
from lianfang.common.auth.service import require_service
from lianfang.common.contracts.checkpoints import CheckpointConfig
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.db import RowId
from lianfang.common.errors import Forbidden, PayloadTooLarge, Unauthorized, ValidationFailed, error_responses
from lianfang.registry.checkpoints.schemas import (
    CheckpointBulk,
    CheckpointBulkResult,
    CheckpointCreate,
    CheckpointNames,
    CheckpointOut,
    CheckpointPage,
    CheckpointPositionIn,
    CheckpointUpdate,
)
from lianfang.registry.checkpoints.service import Checkpoints, Configs, Positions
from lianfang.registry.errors import CheckpointNameTaken, CheckpointNotFound, RegionConflict
from lianfang.registry.imports.errors import ImportRejected
from lianfang.registry.imports.schemas import ImportResult
from lianfang.registry.imports.service import Imports
from lianfang.registry.imports.sheets import MAX_UPLOAD_BYTES, template_csv, template_xlsx
from lianfang.registry.models import CheckpointKind

__all__ = ["internal_router", "router"]

router = APIRouter(prefix=f"{REGISTRY}/checkpoints", tags=["卡口"])


@router.get("", responses=error_responses(Forbidden, ValidationFailed))
async def list_checkpoints(
    checkpoints: Checkpoints,
    region_id: Annotated[RowId | None, Query(description="该地区及其下级地区的卡口")] = None,
    kind: CheckpointKind | None = None,
    q: Annotated[str | None, Query(max_length=64, description="名称包含，或卡口编码")] = None,
    active: bool | None = None,
    ids: Annotated[
        list[RowId] | None, Query(alias="id", max_length=200, description="只列出这些编号的卡口（可重复，至多 200 个）")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CheckpointPage:
    """Checkpoints of the caller's subtree, newest first. `id` (repeated) asks for given checkpoints at once, as trace
    does for the names of a page of records; those outside the subtree are left out."""
    page = await checkpoints.page(
        region_id=region_id, kind=kind, query=q, active=active, ids=ids, cursor=cursor, limit=limit
    )
    return CheckpointPage(items=page.items, next_cursor=page.next_cursor)


@router.post("", status_code=201, responses=error_responses(Forbidden, CheckpointNameTaken, ValidationFailed))
async def create_checkpoint(body: CheckpointCreate, checkpoints: Checkpoints) -> CheckpointOut:
    """A checkpoint gets its public `code` and `qr_url`; its config reaches the check-in service at once."""
    return await checkpoints.out(await checkpoints.create(body))


# `:int`, so that the literal paths added below (`import-template.xlsx`) are not taken for an id.
@router.get("/{checkpoint_id:int}", responses=error_responses(CheckpointNotFound, Forbidden))
async def get_checkpoint(checkpoint_id: int, checkpoints: Checkpoints) -> CheckpointOut:
    return await checkpoints.out(await checkpoints.get(checkpoint_id))


@router.put(
    "/{checkpoint_id:int}/position",
    status_code=204,
    responses=error_responses(CheckpointNotFound, Forbidden, ValidationFailed),
)
async def set_checkpoint_position(
    checkpoint_id: int, body: CheckpointPositionIn, caller: CurrentStaffOrAdmin, positions: Positions
) -> Response:
    """ "设为卡口位置": the position of a phone at the checkpoint, from its gate keeper (their own checkpoints) or an
    admin; the radius grows to the position's accuracy."""
    await positions.set(checkpoint_id, caller, body)
    return Response(status_code=204)


@router.patch(
    "/{checkpoint_id:int}",
    responses=error_responses(CheckpointNotFound, Forbidden, CheckpointNameTaken, ValidationFailed),
)
async def update_checkpoint(checkpoint_id: int, body: CheckpointUpdate, checkpoints: Checkpoints) -> CheckpointOut:
    """Change rules, move to another template or version, or deactivate (`active: false`)."""
    return await checkpoints.out(await checkpoints.update(checkpoint_id, body))


@router.delete("/{checkpoint_id:int}", status_code=204, responses=error_responses(CheckpointNotFound, Forbidden))
async def delete_checkpoint(checkpoint_id: int, checkpoints: Checkpoints) -> Response:
    """The checkpoint leaves the registry: its QR code stops working at once and it no longer counts against deleting its
    region. Its records stay in trace, still named (`GET /api/registry/checkpoints/names`)."""
    await checkpoints.delete(checkpoint_id)
    return Response(status_code=204)


@router.post("/bulk", responses=error_responses(CheckpointNotFound, ValidationFailed))
async def bulk_checkpoints(body: CheckpointBulk, checkpoints: Checkpoints) -> CheckpointBulkResult:
    """Activate, deactivate or delete many checkpoints at once, all or none: an id outside the caller's subtree (or
    unknown) is 404 and nothing changes."""
    return await checkpoints.bulk(body)


@router.get("/names", responses=error_responses(ValidationFailed))
async def checkpoint_names(
    checkpoints: Checkpoints,
    ids: Annotated[
        list[RowId], Query(alias="id", min_length=1, max_length=200, description="卡口编号（可重复，至多 200 个）")
    ],
) -> CheckpointNames:
    """Names of checkpoints of the caller's subtree, deleted ones too (`removed: true`), as trace names the records;
    those outside the subtree are left out."""
    return CheckpointNames(items=await checkpoints.names(ids))


# For the check-in service on a Redis miss: no user's token, the service credential (`auth.service`). nginx keeps
# `/api/*/internal/` off the internet as well; the all-in-one server has no nginx, and the credential keeps every tenant's
# checkpoints from being listed by anyone who asks.
internal_router = APIRouter(prefix=f"{REGISTRY}/internal", tags=["内部接口"], dependencies=[Depends(require_service)])


@internal_router.get("/checkpoints/{code}/config", responses=error_responses(CheckpointNotFound, Unauthorized))
async def checkpoint_config(code: str, configs: Configs) -> CheckpointConfig:
    return await configs.by_code(code)


@internal_router.get(
    "/checkpoints/by-id/{checkpoint_id}/config", responses=error_responses(CheckpointNotFound, Unauthorized)
)
async def checkpoint_config_by_id(checkpoint_id: int, configs: Configs) -> CheckpointConfig:
    """For the check-in service's staff views, which know their checkpoints by id (from the staff token)."""
    return await configs.by_id(checkpoint_id)


@router.post(
    "/import",
    status_code=201,
    responses={
        200: {"model": ImportResult, "description": "试导入（dry_run=true）：检查结果，未写入任何数据"},
        **error_responses(ImportRejected, PayloadTooLarge, Forbidden, RegionConflict, CheckpointNameTaken),
    },
)
async def import_checkpoints(
    file: Annotated[UploadFile, File(description="CSV（UTF-8 或 GBK）或 XLSX 表格，表头见导入模板")],
    imports: Imports,
    response: Response,
    dry_run: Annotated[bool, Query(description="只检查，不导入")] = False,
    create_regions: Annotated[bool, Query(description="自动新建表中写到但还不存在的地区")] = False,
) -> ImportResult:
    """Checkpoints from a spreadsheet, one per row, into the caller's subtree. Every row is checked; a real import
    creates all of them or, with any bad row, nothing (422 `import_rejected`, `errors` naming each `row` and column).
    `dry_run=true` answers 200 with the same checks and writes nothing."""
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    result = await imports.run(content, file.filename or "", dry_run=dry_run, create_regions=create_regions)
    if dry_run:
        response.status_code = 200
    return result


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(name: str, fallback: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"}


@router.get("/import-template.xlsx", response_class=Response, responses={200: {"content": {_XLSX: {}}}})
async def import_template_xlsx(admin: CurrentAdmin) -> Response:
    """The import template: header row and two examples, with a second sheet on what to write in each column."""
    return Response(
        template_xlsx(), media_type=_XLSX, headers=_attachment("卡口导入模板.xlsx", "checkpoint-import-template.xlsx")
    )


@router.get("/import-template.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def import_template_csv(admin: CurrentAdmin) -> Response:
    """The same template as CSV in UTF-8 with a BOM, which Excel opens with the Chinese intact."""
    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("卡口导入模板.csv", "checkpoint-import-template.csv"),
    )
