from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.errors import Forbidden, ValidationFailed, error_responses
from lianfang.registry.errors import TemplateInUse, TemplateNameTaken, TemplateNotFound
from lianfang.registry.templates.schemas import TemplateCreate, TemplateOut, TemplatePage, TemplateUpdate
from lianfang.registry.templates.service import Templates

__all__ = ["router"]

router = APIRouter(prefix=f"{REGISTRY}/templates", tags=["表单模板"])


@router.get("")
async def list_templates(
    templates: Templates,
    q: Annotated[str | None, Query(max_length=64)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TemplatePage:
    """Templates the caller may use: its subtree's and its superiors' (the built-ins included), newest first."""
    page = await templates.page(query=q, cursor=cursor, limit=limit)
    return TemplatePage(items=page.items, next_cursor=page.next_cursor)


@router.post("", status_code=201, responses=error_responses(Forbidden, TemplateNameTaken, ValidationFailed))
async def create_template(body: TemplateCreate, templates: Templates) -> TemplateOut:
    return await templates.create(body)


@router.get("/{template_id}", responses=error_responses(TemplateNotFound, Forbidden))
async def get_template(template_id: int, templates: Templates) -> TemplateOut:
    """The latest version, with the numbers of every version."""
    return await templates.out(await templates.get_visible(template_id))


@router.get("/{template_id}/versions/{version}", responses=error_responses(TemplateNotFound, Forbidden))
async def get_template_version(template_id: int, version: int, templates: Templates) -> TemplateOut:
    return await templates.version(template_id, version)


@router.patch(
    "/{template_id}", responses=error_responses(TemplateNotFound, Forbidden, TemplateNameTaken, ValidationFailed)
)
async def update_template(template_id: int, body: TemplateUpdate, templates: Templates) -> TemplateOut:
    """Rename, or save new fields as a new version (checkpoints keep theirs until moved)."""
    return await templates.update(template_id, body)


@router.delete("/{template_id}", status_code=204, responses=error_responses(TemplateNotFound, Forbidden, TemplateInUse))
async def delete_template(template_id: int, templates: Templates) -> Response:
    await templates.delete(template_id)
    return Response(status_code=204)
