from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import ColumnElement, Row, func, select

from lianfang.common.db import Page, Repository
from lianfang.registry.models import Checkpoint, Region, RegionLevel, Template

__all__ = ["RegionRepository", "TreeRow"]

TreeRow = Row[int, int | None, str, str | None, RegionLevel]
# Bound parameters per `IN (…)`: far below SQLite's and MySQL's limits, large enough for few round trips.
_IN_CHUNK = 500


def _within(scope_path: str) -> ColumnElement[bool]:
    return Region.path.startswith(scope_path, autoescape=True)


class RegionRepository(Repository[Region]):
    model = Region

    async def any(self) -> bool:
        return await self.session.scalar(select(Region.id).limit(1)) is not None

    async def exists(self, region_id: int) -> bool:
        return await self.session.scalar(select(Region.id).where(Region.id == region_id)) is not None

    async def in_scope(self, region_id: int, scope_path: str) -> Region | None:
        return await self.first(select(Region).where(Region.id == region_id, _within(scope_path)))

    async def by_ids(self, region_ids: Sequence[int]) -> list[Region]:
        """In the order of `region_ids` (a path's ancestors, root first); ids that do not exist are left out."""
        if not region_ids:
            return []
        found = {region.id: region for region in await self.all(select(Region).where(Region.id.in_(region_ids)))}
        return [found[region_id] for region_id in region_ids if region_id in found]

    async def child_counts(self, region_ids: Iterable[int]) -> dict[int, int]:
        ids = list(region_ids)
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Region.parent_id, func.count()).where(Region.parent_id.in_(ids)).group_by(Region.parent_id)
        )
        return {parent_id: count for parent_id, count in rows if parent_id is not None}

    async def sibling_named(self, parent_id: int | None, name: str, *, excluding: int | None = None) -> bool:
        statement = select(Region.id).where(Region.parent_id == parent_id, Region.name == name)
        if excluding is not None:
            statement = statement.where(Region.id != excluding)
        return await self.session.scalar(statement.limit(1)) is not None

    async def code_taken(self, code: str, *, excluding: int | None = None) -> bool:
        statement = select(Region.id).where(Region.code == code)
        if excluding is not None:
            statement = statement.where(Region.id != excluding)
        return await self.session.scalar(statement.limit(1)) is not None

    async def count_codes_below_outside(self, region: Region, prefix: str) -> int:
        count = await self.session.scalar(
            select(func.count()).where(
                _within(region.path),
                Region.id != region.id,
                Region.code.is_not(None),
                ~Region.code.startswith(prefix, autoescape=True),
            )
        )
        return count or 0

    async def within(self, scope_path: str) -> list[Region]:
        """Every region under `scope_path`, itself included."""
        return await self.all(select(Region).where(_within(scope_path)))

    async def children_of(self, parent_ids: Collection[int]) -> list[tuple[int, str]]:
        """The `(id, name)` of the regions right below these."""
        if not parent_ids:
            return []
        rows = await self.session.execute(
            select(Region.id, Region.name).where(Region.parent_id.in_(sorted(parent_ids)))
        )
        return [(region_id, name) for region_id, name in rows]

    async def existing_codes(self, codes: Collection[str]) -> set[str]:
        """Which of `codes` some region has, anywhere in the tree."""
        wanted = sorted(codes)
        found: set[str] = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            found.update(
                code for code in await self.session.scalars(select(Region.code).where(Region.code.in_(chunk))) if code
            )
        return found

    async def subtree(self, scope_path: str, levels: Sequence[RegionLevel] | None) -> Sequence[TreeRow]:
        """The regions under `scope_path`, itself included, in creation order."""
        statement = select(Region.id, Region.parent_id, Region.name, Region.code, Region.level).where(
            _within(scope_path)
        )
        if levels is not None:
            statement = statement.where(Region.level.in_(levels))
        return (await self.session.execute(statement.order_by(Region.id))).all()

    async def page_in_scope(
        self,
        scope_path: str,
        *,
        parent_id: int | None,
        query: str | None,
        level: RegionLevel | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Region]:
        statement = select(Region).where(_within(scope_path))
        if parent_id is not None:
            statement = statement.where(Region.parent_id == parent_id)
        if query:
            statement = statement.where(Region.name.contains(query, autoescape=True))
        if level is not None:
            statement = statement.where(Region.level == level)
        return await self.paginate(statement, key=Region.id, cursor=cursor, limit=limit, parse=int)

    async def checkpoint_count(self, region_id: int) -> int:
        return int(await self.session.scalar(select(func.count()).where(Checkpoint.region_id == region_id)) or 0)

    async def template_count(self, region_id: int) -> int:
        return int(await self.session.scalar(select(func.count()).where(Template.region_id == region_id)) or 0)
