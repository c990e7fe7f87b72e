from __future__ import annotations

from sqlalchemy import func, or_, select

from lianfang.common.db import Page, Repository
from lianfang.registry.models import Checkpoint, Template, TemplateVersion

__all__ = ["TemplateRepository"]


class TemplateRepository(Repository[Template]):
    model = Template

    async def version(self, template_id: int, version: int) -> TemplateVersion | None:
        return await self.session.scalar(
            select(TemplateVersion).where(
                TemplateVersion.template_id == template_id, TemplateVersion.version == version
            )
        )

    async def version_numbers(self, template_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(TemplateVersion.version)
            .where(TemplateVersion.template_id == template_id)
            .order_by(TemplateVersion.version)
        )
        return list(rows)

    async def add_version(self, template: Template, fields: list[dict[str, object]]) -> TemplateVersion:
        version = TemplateVersion(template_id=template.id, version=template.latest_version, fields=fields)
        self.session.add(version)
        await self.session.flush()
        return version

    async def named(self, region_id: int, name: str, *, excluding: int | None = None) -> bool:
        statement = select(Template.id).where(Template.region_id == region_id, Template.name == name)
        if excluding is not None:
            statement = statement.where(Template.id != excluding)
        return await self.session.scalar(statement.limit(1)) is not None

    async def by_builtin(self, slug: str) -> Template | None:
        return await self.first(select(Template).where(Template.builtin == slug))

    async def page_visible(
        self, scope_path: str, above: list[str], *, query: str | None, cursor: str | None, limit: int
    ) -> Page[Template]:
        """Templates of the caller's subtree and of the regions above it (the built-ins sit at the root)."""
        statement = select(Template).where(
            or_(Template.region_path.startswith(scope_path, autoescape=True), Template.region_path.in_(above))
        )
        if query:
            statement = statement.where(Template.name.contains(query, autoescape=True))
        return await self.paginate(statement, key=Template.id, cursor=cursor, limit=limit, parse=int)

    async def checkpoints_using(self, template_id: int) -> int:
        return int(await self.session.scalar(select(func.count()).where(Checkpoint.template_id == template_id)) or 0)
