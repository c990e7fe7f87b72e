from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, CurrentAdmin, StaffPrincipal, ensure_in_scope
from lianfang.common.contracts.checkpoints import (
    KIND_LABELS,
    CheckpointConfig,
    CheckpointPosition,
    RegionStep,
    config_key,
)
from lianfang.common.db import DbSession, Page, after_commit, utcnow
from lianfang.common.errors import Forbidden, ValidationFailed
from lianfang.common.forms import FormDefinition
from lianfang.common.oplog import OperationAction, OperationLog, Target, describe, describe_changes
from lianfang.registry.checkpoints.codes import new_code, qr_url
from lianfang.registry.checkpoints.repository import CheckpointRepository
from lianfang.registry.checkpoints.schemas import (
    DEFAULT_RADIUS_M,
    BulkAction,
    CheckpointBulk,
    CheckpointBulkResult,
    CheckpointCreate,
    CheckpointName,
    CheckpointOut,
    CheckpointPositionIn,
    CheckpointUpdate,
)
from lianfang.registry.deps import ConfigCache, Settings
from lianfang.registry.errors import CheckpointNameTaken, CheckpointNotFound
from lianfang.registry.models import Checkpoint, CheckpointKind, OperationEntry, Region, Template
from lianfang.registry.regions.repository import RegionRepository
from lianfang.registry.scope import ancestor_paths, checkpoint_in_scope, region_for_write
from lianfang.registry.settings import RegistrySettings
from lianfang.registry.templates.repository import TemplateRepository

__all__ = [
    "CONFIG_TTL_SECONDS",
    "CheckpointConfigs",
    "CheckpointDraft",
    "CheckpointPositions",
    "CheckpointService",
    "Checkpoints",
    "Configs",
    "Positions",
    "usable_in",
]

# Configs are rewritten on every change; the expiry only bounds how long a write Redis missed can linger.
CONFIG_TTL_SECONDS = 24 * 3600
# Configs per Redis pipeline when many are published at once (a bulk import): one round trip each, bounded memory.
_PIPELINE_CHUNK = 1_000
# Region ids per query when the chains of many checkpoints are loaded at once.
_REGION_CHUNK = 500


def usable_in(template: Template, region_path: str) -> bool:
    """A region's checkpoints use the templates of the region itself and of the regions above it."""
    return template.region_path in ancestor_paths(region_path)


def _target(checkpoint: Checkpoint) -> Target:
    return Target(id=str(checkpoint.id), name=checkpoint.name, region_path=checkpoint.region_path)


def _shown(checkpoint: Checkpoint, template: Template) -> dict[str, str]:
    """A checkpoint's settings as its admins see them in 卡口管理, for the operation log to compare."""
    position = (
        f"{checkpoint.latitude:.5f}, {checkpoint.longitude:.5f}"
        if checkpoint.latitude is not None and checkpoint.longitude is not None
        else ""
    )
    return {
        "名称": checkpoint.name,
        "类型": KIND_LABELS[checkpoint.kind.value],
        "地址": checkpoint.address or "",
        "表单模板": f"{template.name}（第 {checkpoint.template_version} 版）",
        "体温有效期（分钟）": str(checkpoint.temp_valid_minutes),
        "需要审核": "是" if checkpoint.requires_audit else "否",
        "发热判定体温（℃）": f"{checkpoint.fever_threshold:.1f}",
        "位置": position,
        "现场范围（米）": str(checkpoint.radius_m or ""),
    }


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/")]


@dataclass(frozen=True)
class CheckpointDraft:
    """A checkpoint to create whose region (in the caller's scope), template (usable there) and name (free in the
    region) the caller has checked already, as a bulk import does for thousands at once."""

    region: Region
    template: Template
    body: CheckpointCreate


class CheckpointConfigs:
    """Builds a checkpoint's resolved config and keeps Redis in step with the database."""

    def __init__(self, session: AsyncSession, settings: RegistrySettings, cache: Redis) -> None:
        self.session = session
        self.settings = settings
        self.cache = cache
        self.regions = RegionRepository(session)
        self.templates = TemplateRepository(session)
        self.checkpoints = CheckpointRepository(session)

    async def build(self, checkpoint: Checkpoint) -> CheckpointConfig:
        (config,) = await self.build_all([checkpoint])
        return config

    async def build_all(self, checkpoints: Sequence[Checkpoint]) -> list[CheckpointConfig]:
        """The configs of many checkpoints with one query per few hundred regions and one per template version."""
        region_ids = sorted(
            {region_id for checkpoint in checkpoints for region_id in _path_ids(checkpoint.region_path)}
        )
        regions: dict[int, Region] = {}
        for start in range(0, len(region_ids), _REGION_CHUNK):
            regions.update(
                (region.id, region) for region in await self.regions.by_ids(region_ids[start : start + _REGION_CHUNK])
            )
        forms: dict[tuple[int, int], FormDefinition] = {}
        for template_id, number in sorted(
            {(checkpoint.template_id, checkpoint.template_version) for checkpoint in checkpoints}
        ):
            version = await self.templates.version(template_id, number)
            assert version is not None
            forms[template_id, number] = FormDefinition.from_fields(version.fields)
        return [
            self._config(
                checkpoint,
                [regions[region_id] for region_id in _path_ids(checkpoint.region_path) if region_id in regions],
                forms[checkpoint.template_id, checkpoint.template_version],
            )
            for checkpoint in checkpoints
        ]

    @staticmethod
    def _config(checkpoint: Checkpoint, chain: list[Region], form: FormDefinition) -> CheckpointConfig:
        return CheckpointConfig(
            id=checkpoint.id,
            code=checkpoint.code,
            name=checkpoint.name,
            kind=checkpoint.kind.value,
            kind_label=KIND_LABELS[checkpoint.kind.value],
            address=checkpoint.address,
            active=checkpoint.active,
            region_id=checkpoint.region_id,
            region_path=checkpoint.region_path,
            city_code=checkpoint.city_code,
            regions=[RegionStep(id=region.id, name=region.name, level=region.level.value) for region in chain],
            temp_valid_minutes=checkpoint.temp_valid_minutes,
            requires_audit=checkpoint.requires_audit,
            fever_threshold=checkpoint.fever_threshold,
            template_id=checkpoint.template_id,
            template_version=checkpoint.template_version,
            form=form,
            position=CheckpointPosition(
                latitude=checkpoint.latitude, longitude=checkpoint.longitude, radius_m=checkpoint.radius_m
            )
            if checkpoint.latitude is not None and checkpoint.longitude is not None and checkpoint.radius_m is not None
            else None,
        )

    async def publish_after_commit(self, checkpoint: Checkpoint) -> None:
        await self.publish_all_after_commit([checkpoint])

    async def publish_all_after_commit(self, checkpoints: Sequence[Checkpoint]) -> None:
        payloads = [(config_key(config.code), config.model_dump_json()) for config in await self.build_all(checkpoints)]
        cache = self.cache

        async def publish() -> None:
            for start in range(0, len(payloads), _PIPELINE_CHUNK):
                async with cache.pipeline(transaction=False) as pipeline:
                    for key, payload in payloads[start : start + _PIPELINE_CHUNK]:
                        pipeline.set(key, payload, ex=CONFIG_TTL_SECONDS)
                    await pipeline.execute()

        after_commit(self.session, publish)

    def forget_after_commit(self, checkpoints: Sequence[Checkpoint]) -> None:
        """Deleted checkpoints leave Redis once the deletion is committed: check-in then asks the registry, which no
        longer knows them."""
        keys = [config_key(checkpoint.code) for checkpoint in checkpoints]
        cache = self.cache

        async def forget() -> None:
            for start in range(0, len(keys), _PIPELINE_CHUNK):
                await cache.delete(*keys[start : start + _PIPELINE_CHUNK])

        if keys:
            after_commit(self.session, forget)

    async def by_code(self, code: str) -> CheckpointConfig:
        checkpoint = await self.checkpoints.by_code(code.upper())
        if checkpoint is None:
            raise CheckpointNotFound("卡口不存在，请确认二维码是否正确")
        return await self.build(checkpoint)

    async def by_id(self, checkpoint_id: int) -> CheckpointConfig:
        checkpoint = await self.checkpoints.get(checkpoint_id)
        if checkpoint is None:
            raise CheckpointNotFound("卡口不存在")
        return await self.build(checkpoint)


class CheckpointPositions:
    """Where a checkpoint stands, set by its admins or by its own gate keepers standing at it."""

    def __init__(self, configs: CheckpointConfigs) -> None:
        self.configs = configs

    async def set(
        self, checkpoint_id: int, caller: AdminPrincipal | StaffPrincipal, body: CheckpointPositionIn
    ) -> Checkpoint:
        checkpoint = await self.configs.checkpoints.get(checkpoint_id)
        if checkpoint is None:
            raise CheckpointNotFound("卡口不存在")
        if isinstance(caller, StaffPrincipal):
            if checkpoint.id not in caller.checkpoint_ids:
                raise Forbidden("只能设置自己执勤的卡口")
        else:
            ensure_in_scope(caller, checkpoint.region_path)
        checkpoint.latitude, checkpoint.longitude = body.latitude, body.longitude
        # A position located indoors may be off by its accuracy: the spot is at least that wide.
        wanted = max(checkpoint.radius_m or DEFAULT_RADIUS_M, int(body.accuracy or 0))
        checkpoint.radius_m = min(wanted, 50_000)
        checkpoint.updated_at = utcnow()
        await self.configs.session.flush()
        await self.configs.publish_after_commit(checkpoint)
        return checkpoint


class CheckpointService:
    """Admins create and change the checkpoints of their subtree; each change is published to Redis once committed."""

    def __init__(self, session: AsyncSession, caller: AdminPrincipal, configs: CheckpointConfigs) -> None:
        self.session = session
        self.caller = caller
        self.configs = configs
        self.checkpoints = self.configs.checkpoints
        self.regions = self.configs.regions
        self.templates = self.configs.templates
        self.log = OperationLog(session, OperationEntry, caller)

    async def _template_of(self, checkpoint: Checkpoint) -> Template:
        template = await self.templates.get(checkpoint.template_id)
        assert template is not None
        return template

    async def _template_for(self, template_id: int, region: Region, version: int | None = None) -> tuple[Template, int]:
        """A template the region may use (its own or one from above it) and the version to answer with."""
        template = await self.templates.get(template_id)
        if template is None:
            raise ValidationFailed.field("template_id", "表单模板不存在", "not_found")
        if not usable_in(template, region.path):
            raise ValidationFailed.field("template_id", "该表单模板不能用于此地区的卡口", "out_of_scope")
        number = template.latest_version if version is None else version
        if await self.templates.version(template.id, number) is None:
            raise ValidationFailed.field("template_version", f"表单模板没有第 {number} 版", "not_found")
        return template, number

    async def _get(self, checkpoint_id: int) -> Checkpoint:
        return await checkpoint_in_scope(self.checkpoints, self.caller, checkpoint_id)

    async def _new_codes(self, count: int) -> list[str]:
        """`count` distinct codes no checkpoint has, checked in one query per few hundred (collisions are rare)."""
        codes: set[str] = set()
        while len(codes) < count:
            fresh = {new_code() for _ in range(count - len(codes))} - codes
            codes |= fresh - await self.checkpoints.codes_taken(fresh)
        return list(codes)

    @staticmethod
    def _columns(code: str, region: Region, template: Template, version: int, body: CheckpointCreate) -> dict[str, Any]:
        """What a new checkpoint is made of, created one by one or thousands at once."""
        return {
            "code": code,
            "region_id": region.id,
            "region_path": region.path,
            "city_code": region.city_code,
            "name": body.name,
            "kind": body.kind,
            "address": body.address,
            "template_id": template.id,
            "template_version": version,
            "temp_valid_minutes": body.temp_valid_minutes,
            "requires_audit": body.requires_audit,
            "fever_threshold": round(body.fever_threshold, 1),
            "active": body.active,
            "latitude": body.latitude,
            "longitude": body.longitude,
            "radius_m": body.radius_m,
        }

    async def outs(self, checkpoints: Iterable[Checkpoint]) -> list[CheckpointOut]:
        rows = list(checkpoints)
        regions = {region.id: region for region in await self.regions.by_ids(sorted({row.region_id for row in rows}))}
        templates: dict[int, Template] = {}
        for template_id in {row.template_id for row in rows}:
            template = await self.templates.get(template_id)
            assert template is not None
            templates[template_id] = template
        return [
            CheckpointOut(
                id=row.id,
                code=row.code,
                qr_url=qr_url(self.configs.settings.public_url, row.code),
                region_id=row.region_id,
                region_path=row.region_path,
                region_name=regions[row.region_id].name,
                city_code=row.city_code,
                name=row.name,
                kind=row.kind,
                kind_label=KIND_LABELS[row.kind.value],
                address=row.address,
                template_id=row.template_id,
                template_name=templates[row.template_id].name,
                template_version=row.template_version,
                template_latest_version=templates[row.template_id].latest_version,
                temp_valid_minutes=row.temp_valid_minutes,
                requires_audit=row.requires_audit,
                fever_threshold=row.fever_threshold,
                active=row.active,
                latitude=row.latitude,
                longitude=row.longitude,
                radius_m=row.radius_m,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    async def out(self, checkpoint: Checkpoint) -> CheckpointOut:
        (out,) = await self.outs([checkpoint])
        return out

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as error:  # a same-named checkpoint slipped in between the check and the write
            raise CheckpointNameTaken("该地区刚有同名卡口加入，请换一个名称") from error

    async def create(self, body: CheckpointCreate) -> Checkpoint:
        region = await region_for_write(self.session, self.caller, body.region_id)
        template, version = await self._template_for(body.template_id, region)
        if await self.checkpoints.named(region.id, body.name):
            raise CheckpointNameTaken(f"「{region.name}」已有名为「{body.name}」的卡口")
        (code,) = await self._new_codes(1)
        checkpoint = Checkpoint(**self._columns(code, region, template, version, body))
        self.session.add(checkpoint)
        await self._flush()
        state = "" if checkpoint.active else "停用；"
        self.log.record(
            OperationAction.checkpoint_create,
            _target(checkpoint),
            f"地区：{region.name}；{state}{describe(_shown(checkpoint, template))}",
        )
        await self.configs.publish_after_commit(checkpoint)
        return checkpoint

    async def create_all(self, drafts: Sequence[CheckpointDraft]) -> list[Checkpoint]:
        """Checkpoints checked beforehand (`CheckpointDraft`), each on its template's latest version: one batch of
        inserts, and their configs published in pipelines once committed."""
        codes = await self._new_codes(len(drafts))
        columns = [
            self._columns(code, draft.region, draft.template, draft.template.latest_version, draft.body)
            for code, draft in zip(codes, drafts, strict=True)
        ]
        try:
            checkpoints = await self.checkpoints.insert_all(columns)
        except IntegrityError as error:  # a same-named checkpoint slipped in after the caller's checks
            raise CheckpointNameTaken("刚有同名卡口加入，请刷新后重试") from error
        await self.configs.publish_all_after_commit(checkpoints)
        return checkpoints

    async def get(self, checkpoint_id: int) -> Checkpoint:
        return await self._get(checkpoint_id)

    async def update(self, checkpoint_id: int, body: CheckpointUpdate) -> Checkpoint:
        checkpoint = await self._get(checkpoint_id)
        before, was_active = _shown(checkpoint, await self._template_of(checkpoint)), checkpoint.active
        if body.name is not None and body.name != checkpoint.name:
            if await self.checkpoints.named(checkpoint.region_id, body.name, excluding=checkpoint.id):
                raise CheckpointNameTaken(f"该地区已有名为「{body.name}」的卡口")
            checkpoint.name = body.name
        if body.template_id is not None or body.template_version is not None:
            region = await self.regions.get(checkpoint.region_id)
            assert region is not None
            template, version = await self._template_for(
                body.template_id or checkpoint.template_id, region, body.template_version
            )
            checkpoint.template_id, checkpoint.template_version = template.id, version
        for field in ("kind", "temp_valid_minutes", "requires_audit", "active"):
            value = getattr(body, field)
            if value is not None:
                setattr(checkpoint, field, value)
        if "address" in body.model_fields_set:
            checkpoint.address = body.address
        if body.fever_threshold is not None:
            checkpoint.fever_threshold = round(body.fever_threshold, 1)
        if "latitude" in body.model_fields_set:
            checkpoint.latitude, checkpoint.longitude = body.latitude, body.longitude
        if body.radius_m is not None:
            checkpoint.radius_m = body.radius_m
        elif checkpoint.latitude is not None and checkpoint.radius_m is None:
            checkpoint.radius_m = DEFAULT_RADIUS_M
        checkpoint.updated_at = utcnow()
        await self._flush()
        changed = describe_changes(before, _shown(checkpoint, await self._template_of(checkpoint)))
        if checkpoint.active != was_active:
            self.log.record(self._switch(checkpoint.active), _target(checkpoint), changed)
        elif changed:
            self.log.record(OperationAction.checkpoint_update, _target(checkpoint), changed)
        await self.configs.publish_after_commit(checkpoint)
        return checkpoint

    @staticmethod
    def _switch(active: bool) -> OperationAction:
        return OperationAction.checkpoint_enable if active else OperationAction.checkpoint_disable

    async def page(
        self,
        *,
        region_id: int | None,
        kind: CheckpointKind | None,
        query: str | None,
        active: bool | None,
        ids: Sequence[int] | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[CheckpointOut]:
        scope = self.caller.region_path
        if region_id is not None:
            scope = (await region_for_write(self.session, self.caller, region_id)).path
        page = await self.checkpoints.page_in(
            scope, kind=kind, query=query, active=active, ids=ids, cursor=cursor, limit=limit
        )
        return Page(await self.outs(page.items), page.next_cursor)

    async def active_under(self, region_id: int) -> tuple[Region, AsyncIterator[Checkpoint]]:
        region = await self.regions.get(region_id)
        if region is None:
            raise CheckpointNotFound("地区不存在")
        if not region.path.startswith(self.caller.region_path):
            raise Forbidden("该地区不在您的管辖范围内")
        return region, self.checkpoints.stream_active_in(region.path)

    async def delete(self, checkpoint_id: int) -> None:
        """The checkpoint leaves the registry (its QR code stops working); its records stay in trace, named as before."""
        await self._remove([await self._get(checkpoint_id)], "")

    async def bulk(self, body: CheckpointBulk) -> CheckpointBulkResult:
        """All or nothing: every id must be a checkpoint of the caller's subtree (404 naming the first that is not)."""
        found = {
            checkpoint.id: checkpoint
            for checkpoint in await self.checkpoints.in_scope_by_ids(self.caller.region_path, body.ids)
        }
        missing = [checkpoint_id for checkpoint_id in body.ids if checkpoint_id not in found]
        if missing:
            raise CheckpointNotFound(f"卡口 {missing[0]} 不存在，或不在您的管辖范围内；未做任何修改")
        checkpoints = list(found.values())
        if body.action is BulkAction.delete:
            await self._remove(checkpoints, f"批量删除（共 {len(checkpoints)} 个）")
            return CheckpointBulkResult(action=body.action, count=len(checkpoints))
        active = body.action is BulkAction.activate
        changed = [checkpoint for checkpoint in checkpoints if checkpoint.active != active]
        now = utcnow()
        for checkpoint in changed:
            checkpoint.active, checkpoint.updated_at = active, now
            self.log.record(
                self._switch(active), _target(checkpoint), f"批量{'启用' if active else '停用'}（共 {len(changed)} 个）"
            )
        await self._flush()
        await self.configs.publish_all_after_commit(changed)
        return CheckpointBulkResult(action=body.action, count=len(changed))

    async def _remove(self, checkpoints: list[Checkpoint], summary: str) -> None:
        regions = await self.regions.by_ids(sorted({checkpoint.region_id for checkpoint in checkpoints}))
        names = {region.id: region.name for region in regions}
        for checkpoint in checkpoints:
            where = f"地区：{names.get(checkpoint.region_id, '')}"
            self.log.record(
                OperationAction.checkpoint_delete, _target(checkpoint), "；".join(filter(None, [where, summary]))
            )
        self.configs.forget_after_commit(checkpoints)
        await self.checkpoints.remove(checkpoints, names, str(self.caller.id))

    async def names(self, ids: Sequence[int]) -> list[CheckpointName]:
        """The checkpoints among `ids` in the caller's subtree, deleted ones included, as trace names records."""
        live = await self.checkpoints.in_scope_by_ids(self.caller.region_path, ids)
        regions = {
            region.id: region.name for region in await self.regions.by_ids(sorted({row.region_id for row in live}))
        }
        names = [CheckpointName.of(row, regions.get(row.region_id, "")) for row in live]
        gone = set(ids) - {row.id for row in live}
        names += [
            CheckpointName.of(row, row.region_name)
            for row in (await self.checkpoints.removed_in(self.caller.region_path, gone) if gone else [])
        ]
        return names


async def checkpoint_configs(session: DbSession, settings: Settings, cache: ConfigCache) -> CheckpointConfigs:
    return CheckpointConfigs(session, settings, cache)


Configs = Annotated[CheckpointConfigs, Depends(checkpoint_configs)]


async def checkpoint_positions(configs: Configs) -> CheckpointPositions:
    return CheckpointPositions(configs)


Positions = Annotated[CheckpointPositions, Depends(checkpoint_positions)]


async def checkpoint_service(admin: CurrentAdmin, session: DbSession, configs: Configs) -> CheckpointService:
    return CheckpointService(session, admin, configs)


Checkpoints = Annotated[CheckpointService, Depends(checkpoint_service)]
