from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, CurrentAdmin
from lianfang.common.contracts.regions import region_path
from lianfang.common.db import DbSession
from lianfang.common.errors import Forbidden, ValidationFailed
from lianfang.common.oplog import OperationAction, OperationLog, Target, describe, describe_changes
from lianfang.registry.accounts_client import AccountsClient
from lianfang.registry.deps import Accounts
from lianfang.registry.errors import (
    OwnRegionReadOnly,
    RegionCodeTaken,
    RegionConflict,
    RegionNameTaken,
    RegionNotEmpty,
    RegionNotFound,
)
from lianfang.registry.models import LEVELS, OperationEntry, Region, RegionLevel
from lianfang.registry.regions.codes import city_code_for, code_prefix, code_problem
from lianfang.registry.regions.repository import RegionRepository
from lianfang.registry.regions.schemas import (
    RegionAncestor,
    RegionCreate,
    RegionDetail,
    RegionNode,
    RegionOut,
    RegionPage,
    RegionUpdate,
)

__all__ = ["RegionService", "Regions"]


def _target(region: Region) -> Target:
    return Target(id=str(region.id), name=region.name, region_path=region.path)


def _shown(region: Region) -> dict[str, str]:
    return {"名称": region.name, "编码": region.code or ""}


def _child_level(level: RegionLevel) -> RegionLevel | None:
    index = LEVELS.index(level) + 1
    return LEVELS[index] if index < len(LEVELS) else None


class RegionService:
    """An admin works on its own subtree: it creates regions under any region of it and reads all of it, but renames and
    deletes only the regions strictly below its own; its own region is its superiors' to change."""

    def __init__(self, session: AsyncSession, caller: AdminPrincipal, accounts: AccountsClient) -> None:
        self.caller = caller
        self.accounts = accounts
        self.regions = RegionRepository(session)
        self.log = OperationLog(session, OperationEntry, caller)

    async def _find(self, region_id: int) -> Region | None:
        """The region when it lies in the caller's subtree; None when there is no such region; 403 otherwise."""
        region = await self.regions.in_scope(region_id, self.caller.region_path)
        if region is None and await self.regions.exists(region_id):
            raise Forbidden("该地区不在您的管辖范围内")
        return region

    async def _get(self, region_id: int) -> Region:
        region = await self._find(region_id)
        if region is None:
            raise RegionNotFound("地区不存在")
        return region

    def _ensure_below_own(self, region: Region, message: str) -> None:
        if region.id == self.caller.region_id:
            raise OwnRegionReadOnly(message)

    def _check_code(self, level: RegionLevel, code: str, ancestors: list[Region]) -> None:
        """The code fits the level and starts with the prefix of the nearest ancestor that has a code."""
        problem = code_problem(level, code)
        if problem is not None:
            raise ValidationFailed.field("code", problem)
        coded = next((ancestor for ancestor in reversed(ancestors) if ancestor.code is not None), None)
        if coded is not None and coded.code is not None:
            prefix = code_prefix(coded.level, coded.code)
            if not code.startswith(prefix):
                raise ValidationFailed.field(
                    "code", f"编码应以上级地区「{coded.name}」的编码前缀 {prefix} 开头", "prefix"
                )

    async def _ensure_unique(
        self, parent_id: int | None, name: str | None, code: str | None, *, excluding: int | None
    ) -> None:
        if name is not None and await self.regions.sibling_named(parent_id, name, excluding=excluding):
            raise RegionNameTaken(f"同一上级地区下已有名为「{name}」的地区")
        if code is not None and await self.regions.code_taken(code, excluding=excluding):
            raise RegionCodeTaken(f"地区编码 {code} 已被其他地区使用")

    async def _flush(self) -> None:
        # The checks ran before the write: another request may have taken the name or code, or removed the parent.
        try:
            await self.regions.session.flush()
        except IntegrityError as error:
            raise RegionConflict("地区刚被其他人修改（名称或编码重复，或上级地区已删除），请刷新后重试") from error

    async def _out(self, region: Region) -> RegionOut:
        counts = await self.regions.child_counts([region.id])
        return RegionOut.of(region, counts.get(region.id, 0))

    async def create(self, body: RegionCreate) -> RegionOut:
        """The level follows from the parent's; the code, when given, must fit the level and the codes above."""
        parent = await self._find(body.parent_id)
        if parent is None:
            raise ValidationFailed.field("parent_id", "上级地区不存在", "not_found")
        level = _child_level(parent.level)
        if level is None:
            raise ValidationFailed.field("parent_id", "社区、村、单位之下不能再建下级地区", "too_deep")
        if body.code is not None:
            self._check_code(level, body.code, [*await self.regions.by_ids(parent.ancestor_ids), parent])
        await self._ensure_unique(parent.id, body.name, body.code, excluding=None)
        region = Region(
            parent_id=parent.id,
            name=body.name,
            code=body.code,
            level=level,
            # The id is known only once inserted; the parent's path holds the place until then.
            path=parent.path,
            city_code=city_code_for(level, body.code, parent),
        )
        self.regions.session.add(region)
        await self._flush()
        region.path = region_path([*parent.ancestor_ids, parent.id, region.id])
        await self._flush()
        self.log.record(
            OperationAction.region_create,
            _target(region),
            f"上级地区：{parent.name}；{describe(_shown(region))}",
        )
        return RegionOut.of(region, 0)

    async def get(self, region_id: int) -> RegionDetail:
        region = await self._get(region_id)
        # The ancestors of a region in the caller's subtree are the caller's own ancestors or lie in its subtree.
        ancestors = await self.regions.by_ids(region.ancestor_ids)
        out = await self._out(region)
        return RegionDetail(
            **out.model_dump(),
            ancestors=[
                RegionAncestor(id=ancestor.id, name=ancestor.name, level=ancestor.level) for ancestor in ancestors
            ],
        )

    async def tree(self, depth: int | None) -> RegionNode:
        """The caller's region and everything below it, down to `depth` levels below it when given."""
        # A region's level is its depth in the tree, so a depth limit is a set of levels.
        own_depth = self.caller.region_path.strip("/").count("/")
        levels = None if depth is None else LEVELS[own_depth : own_depth + depth + 1]
        rows = await self.regions.subtree(self.caller.region_path, levels)
        nodes = {
            row.id: RegionNode(id=row.id, name=row.name, code=row.code, level=row.level, children=[]) for row in rows
        }
        for row in rows:
            if row.id != self.caller.region_id and row.parent_id in nodes:
                nodes[row.parent_id].children.append(nodes[row.id])
        root = nodes.get(self.caller.region_id)
        if root is None:
            raise RegionNotFound("您所属的地区已不存在")
        return root

    async def page(
        self, *, parent_id: int | None, query: str | None, level: RegionLevel | None, cursor: str | None, limit: int
    ) -> RegionPage:
        if parent_id is not None and await self._find(parent_id) is None:
            raise ValidationFailed.field("parent_id", "上级地区不存在", "not_found")
        page = await self.regions.page_in_scope(
            self.caller.region_path, parent_id=parent_id, query=query, level=level, cursor=cursor, limit=limit
        )
        counts = await self.regions.child_counts(region.id for region in page.items)
        return RegionPage(
            items=[RegionOut.of(region, counts.get(region.id, 0)) for region in page.items],
            next_cursor=page.next_cursor,
        )

    async def update(self, region_id: int, body: RegionUpdate) -> RegionOut:
        """Rename or recode a region strictly below the caller's own. A new code must fit the level, the codes above and
        the codes below; the region's `city_code` stays what it was (see `city_code_for`)."""
        region = await self._get(region_id)
        self._ensure_below_own(region, "不能修改自己所属的地区，请联系上级管理员")
        name = body.name if body.name is not None and body.name != region.name else None
        code_changes = "code" in body.model_fields_set and body.code != region.code
        new_code = body.code if code_changes else None
        if new_code is not None:
            self._check_code(region.level, new_code, await self.regions.by_ids(region.ancestor_ids))
            prefix = code_prefix(region.level, new_code)
            stray = await self.regions.count_codes_below_outside(region, prefix)
            if stray:
                raise ValidationFailed.field(
                    "code", f"有 {stray} 个下级地区的编码不以 {prefix} 开头，请先修改它们的编码", "prefix_below"
                )
        await self._ensure_unique(region.parent_id, name, new_code, excluding=region.id)
        before = _shown(region)
        if name is not None:
            region.name = name
        if code_changes:
            region.code = body.code
        await self._flush()
        changed = describe_changes(before, _shown(region))
        if changed:
            self.log.record(OperationAction.region_update, _target(region), changed)
        return await self._out(region)

    async def what_is_left(self, region: Region, token: str) -> list[str]:
        """What keeps a region from being deleted, one phrase each (`3 个下级地区`); empty when nothing does."""
        children = (await self.regions.child_counts([region.id])).get(region.id, 0)
        checkpoints = await self.regions.checkpoint_count(region.id)
        templates = await self.regions.template_count(region.id)
        people = await self.accounts.count_in_region(region.id, token)
        counted = ((children, "个下级地区"), (checkpoints, "个卡口"), (templates, "个表单模板"), (people, "个账号"))
        return [f"{count} {what}" for count, what in counted if count]

    async def delete(self, region_id: int, token: str) -> None:
        """Delete an empty region strictly below the caller's own."""
        region = await self._get(region_id)
        self._ensure_below_own(region, "不能删除自己所属的地区，请联系上级管理员")
        left = await self.what_is_left(region, token)
        if left:
            raise RegionNotEmpty(f"还有 {'、'.join(left)}，不能删除")
        try:
            await self.regions.delete(region)
        except IntegrityError as error:  # a sub-region was added between the check and the delete
            raise RegionNotEmpty("刚有下级地区加入，请刷新后重试") from error
        self.log.record(OperationAction.region_delete, _target(region), describe(_shown(region)))


async def region_service(admin: CurrentAdmin, session: DbSession, accounts: Accounts) -> RegionService:
    return RegionService(session, admin, accounts)


Regions = Annotated[RegionService, Depends(region_service)]
