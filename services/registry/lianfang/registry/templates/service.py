from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, CurrentAdmin, in_scope
from lianfang.common.db import DbSession, Page, utcnow
from lianfang.common.errors import Forbidden
from lianfang.common.forms import FormDefinition
from lianfang.common.oplog import OperationAction, OperationLog, Target
from lianfang.registry.errors import TemplateInUse, TemplateNameTaken, TemplateNotFound
from lianfang.registry.models import OperationEntry, Template, TemplateVersion
from lianfang.registry.scope import ancestor_paths, region_for_write
from lianfang.registry.templates.repository import TemplateRepository
from lianfang.registry.templates.schemas import TemplateCreate, TemplateOut, TemplateUpdate

__all__ = ["TemplateService", "Templates"]


def _fields(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    form = FormDefinition.from_fields(raw)
    return [field.model_dump(mode="json", exclude_none=True) for field in form.fields]


def _target(template: Template) -> Target:
    return Target(id=str(template.id), name=template.name, region_path=template.region_path)


def _field_labels(fields: list[dict[str, Any]]) -> str:
    return "、".join(str(field.get("label", "")) for field in fields)


class TemplateService:
    """An admin uses the templates of its subtree and of the regions above it (the built-ins belong to the root), and
    edits only those of its subtree. An edit is a new version; checkpoints keep the version they were given."""

    def __init__(self, session: AsyncSession, caller: AdminPrincipal) -> None:
        self.session = session
        self.caller = caller
        self.templates = TemplateRepository(session)
        self.log = OperationLog(session, OperationEntry, caller)

    def _visible(self, template: Template) -> bool:
        return in_scope(self.caller.region_path, template.region_path) or in_scope(
            template.region_path, self.caller.region_path
        )

    async def get_visible(self, template_id: int) -> Template:
        template = await self.templates.get(template_id)
        if template is None:
            raise TemplateNotFound("表单模板不存在")
        if not self._visible(template):
            raise Forbidden("该表单模板不在您的管辖范围内")
        return template

    async def _editable(self, template_id: int) -> Template:
        template = await self.get_visible(template_id)
        if not in_scope(self.caller.region_path, template.region_path):
            raise Forbidden("该表单模板属于上级地区，只能使用，不能修改")
        return template

    async def out(self, template: Template, version: TemplateVersion | None = None) -> TemplateOut:
        shown = version or await self.templates.version(template.id, template.latest_version)
        assert shown is not None
        return TemplateOut(
            id=template.id,
            name=template.name,
            region_id=template.region_id,
            region_path=template.region_path,
            builtin=template.builtin,
            version=shown.version,
            versions=await self.templates.version_numbers(template.id),
            fields=FormDefinition.from_fields(shown.fields).fields,
            editable=in_scope(self.caller.region_path, template.region_path),
            created_at=template.created_at,
            updated_at=template.updated_at,
        )

    async def create(self, body: TemplateCreate) -> TemplateOut:
        region = await region_for_write(self.session, self.caller, body.region_id or self.caller.region_id)
        fields = _fields(body.fields)
        if await self.templates.named(region.id, body.name):
            raise TemplateNameTaken(f"该地区已有名为「{body.name}」的表单模板")
        template = await self.templates.add(
            Template(region_id=region.id, region_path=region.path, name=body.name, latest_version=1)
        )
        self.log.record(
            OperationAction.template_create,
            _target(template),
            f"地区：{region.name}；字段（{len(fields)} 项）：{_field_labels(fields)}",
        )
        return await self.out(template, await self.templates.add_version(template, fields))

    async def update(self, template_id: int, body: TemplateUpdate) -> TemplateOut:
        template = await self._editable(template_id)
        changes = []
        if body.name is not None and body.name != template.name:
            if await self.templates.named(template.region_id, body.name, excluding=template.id):
                raise TemplateNameTaken(f"该地区已有名为「{body.name}」的表单模板")
            changes.append(f"名称：{template.name} → {body.name}")
            template.name = body.name
        version = None
        if body.fields is not None:
            fields = _fields(body.fields)
            template.latest_version += 1
            version = await self.templates.add_version(template, fields)
            changes.append(f"字段改为第 {template.latest_version} 版（{len(fields)} 项）：{_field_labels(fields)}")
        template.updated_at = utcnow()
        await self.session.flush()
        if changes:
            self.log.record(OperationAction.template_update, _target(template), "；".join(changes))
        return await self.out(template, version)

    async def version(self, template_id: int, number: int) -> TemplateOut:
        template = await self.get_visible(template_id)
        version = await self.templates.version(template.id, number)
        if version is None:
            raise TemplateNotFound(f"表单模板没有第 {number} 版")
        return await self.out(template, version)

    async def page(self, *, query: str | None, cursor: str | None, limit: int) -> Page[TemplateOut]:
        page = await self.templates.page_visible(
            self.caller.region_path, ancestor_paths(self.caller.region_path), query=query, cursor=cursor, limit=limit
        )
        return Page([await self.out(template) for template in page.items], page.next_cursor)

    async def delete(self, template_id: int) -> None:
        template = await self._editable(template_id)
        if template.builtin is not None:
            raise Forbidden("内置表单模板不能删除")
        used = await self.templates.checkpoints_using(template.id)
        if used:
            raise TemplateInUse(f"还有 {used} 个卡口在使用该表单模板，不能删除")
        self.log.record(OperationAction.template_delete, _target(template), f"共 {template.latest_version} 个版本")
        await self.templates.delete(template)


async def template_service(admin: CurrentAdmin, session: DbSession) -> TemplateService:
    return TemplateService(session, admin)


Templates = Annotated[TemplateService, Depends(template_service)]
