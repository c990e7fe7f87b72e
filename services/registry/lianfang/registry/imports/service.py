"""Bulk import of checkpoints: every row of a spreadsheet is checked against what is loaded once (the caller's regions,
the templates it may use, the names already taken), then all of them are created, or none."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends
from pydantic import StringConstraints, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, CurrentAdmin
from lianfang.common.db import DbSession
from lianfang.common.errors import FieldError, ValidationFailed
from lianfang.common.oplog import OperationAction, Target
from lianfang.registry.checkpoints.repository import CheckpointRepository
from lianfang.registry.checkpoints.schemas import CheckpointCreate
from lianfang.registry.checkpoints.service import CheckpointDraft, Checkpoints, CheckpointService, usable_in
from lianfang.registry.errors import RegionNotFound
from lianfang.registry.imports.columns import (
    COLUMNS,
    LIMITS,
    default_template_slug,
    kind_of,
    kinds_hint,
    match_headers,
    yes_no,
)
from lianfang.registry.imports.errors import ImportRejected
from lianfang.registry.imports.schemas import ImportResult
from lianfang.registry.imports.sheets import SheetRow, read_sheet
from lianfang.registry.models import LEVELS, CheckpointKind, Region, Template
from lianfang.registry.regions.repository import RegionRepository
from lianfang.registry.regions.schemas import RegionCreate
from lianfang.registry.regions.service import Regions, RegionService
from lianfang.registry.scope import ancestor_paths
from lianfang.registry.templates.repository import TemplateRepository

__all__ = ["MAX_REPORTED_ERRORS", "CheckpointImport", "Imports"]

# A file of the wrong kind can hold a hundred thousand problems; the first thousand say enough.
MAX_REPORTED_ERRORS = 1_000

_SEPARATORS = re.compile(r"[/／]")
_DIGITS = re.compile(r"[0-9]+")
_CODE_LENGTHS = (6, 9, 12)
# Units people add to numbers: 37.3℃, 240 分钟.
_UNITS = re.compile(r"\s*(℃|°C|度|分钟|min)$", re.IGNORECASE)
_COLUMN_ORDER = {column.key: index for index, column in enumerate(COLUMNS)}
_HEADERS = {column.key: column.header for column in COLUMNS}
_REGION_NAME_LENGTH = next(
    item.max_length for item in RegionCreate.model_fields["name"].metadata if isinstance(item, StringConstraints)
)


# A place by its deepest existing region and the names of the regions to create below it.
_PlaceKey = tuple[int, tuple[str, ...]]


def _key(name: str) -> str:
    # MySQL's default collation compares names without case: so does the import, on either database.
    return name.strip().casefold()


@dataclass(frozen=True)
class _Problem:
    message: str
    code: str


@dataclass(frozen=True)
class _Place:
    """Where a row's checkpoint goes: a region of the caller's subtree (`anchor`), or regions to create below it."""

    anchor: Region
    missing: tuple[str, ...] = ()

    @property
    def key(self) -> _PlaceKey:
        return self.anchor.id, tuple(_key(name) for name in self.missing)

    @property
    def label(self) -> str:
        return "/".join((self.anchor.name, *self.missing))


class _Regions:
    """The caller's subtree and the regions above it, found by name path or code without further queries."""

    def __init__(self, chain: list[Region], subtree: Sequence[Region], beside: Iterable[str], *, create: bool) -> None:
        # From the root down to the caller's own region.
        self.chain = chain
        self.own = chain[-1]
        self.create = create
        # Names of the regions next to the chain (the other cities of a city admin's province): a path that starts
        # with one leads out of the caller's subtree, and must not become a new region of that name inside it.
        self.beside = {_key(name) for name in beside}
        self.children = {(region.parent_id, _key(region.name)): region for region in subtree}
        self.in_scope = {region.id for region in subtree}
        self.codes = {region.code: region for region in (*chain, *subtree) if region.code is not None}
        # Codes of regions outside the caller's reach, to tell "not yours" from "no such region".
        self.codes_elsewhere: set[str] = set()
        self._places: dict[str, _Place | _Problem] = {}

    def unknown_codes(self, texts: Iterable[str]) -> set[str]:
        return {text for text in texts if _DIGITS.fullmatch(text) and text not in self.codes}

    def place(self, text: str) -> _Place | _Problem:
        if text not in self._places:
            self._places[text] = self._resolve(text)
        return self._places[text]

    def _resolve(self, text: str) -> _Place | _Problem:
        if _DIGITS.fullmatch(text):
            return self._by_code(text)
        names = [part.strip() for part in _SEPARATORS.split(text) if part.strip()]
        if not names:
            return _Problem("请填写地区", "required")
        # A path may start at any region from the root down to the caller's own (石家庄市/长安区 for a province admin
        # and a city admin alike), or below the caller's own region (长安区 for the city admin).
        starts = [depth for depth, region in enumerate(self.chain) if _key(region.name) == _key(names[0])]
        reached = [place for depth in starts if (place := self._down_the_chain(depth, names[1:])) is not None]
        relative = self._down(self.own, names)
        whole = [place for place in (*reached, relative) if not place.missing]
        if whole:
            return whole[0]
        if (starts and not reached) or (not starts and _key(names[0]) in self.beside):
            scope = "/".join(region.name for region in self.chain)
            return _Problem(f"地区「{text}」不在您的管辖范围内（您管辖的是{scope}）", "out_of_scope")
        # A path that starts with a name above the caller is read from there, not as a new region of that name.
        chosen = min(reached, key=lambda place: len(place.missing)) if reached else relative
        return self._missing(text, chosen)

    def _down_the_chain(self, depth: int, names: Sequence[str]) -> _Place | None:
        """From `chain[depth]` down along the chain to the caller's region and on below it; None where the path
        turns off the chain above the caller's region, or ends above it: outside the caller's subtree."""
        for index, name in enumerate(names):
            if depth == len(self.chain) - 1:
                return self._down(self.own, names[index:])
            if _key(self.chain[depth + 1].name) != _key(name):
                return None
            depth += 1
        return _Place(self.own) if depth == len(self.chain) - 1 else None

    def _down(self, start: Region, names: Sequence[str]) -> _Place:
        current = start
        for index, name in enumerate(names):
            child = self.children.get((current.id, _key(name)))
            if child is None:
                return _Place(current, tuple(names[index:]))
            current = child
        return _Place(current)

    def _missing(self, text: str, place: _Place) -> _Place | _Problem:
        if not self.create:
            return _Problem(
                f"地区「{text}」不存在：「{place.anchor.name}」下没有「{place.missing[0]}」"
                "（如需自动新建缺少的地区，请在导入时选择自动新建地区）",
                "not_found",
            )
        if LEVELS.index(place.anchor.level) + len(place.missing) >= len(LEVELS):
            return _Problem(f"地区「{text}」层级过多：社区、村、单位之下不能再建下级地区", "too_deep")
        for name in place.missing:
            try:
                RegionCreate(parent_id=place.anchor.id, name=name)
            except ValidationError:
                return _Problem(f"地区名称「{name}」太长，最多 {_REGION_NAME_LENGTH} 个字", "too_long")
        return place

    def _by_code(self, code: str) -> _Place | _Problem:
        if len(code) not in _CODE_LENGTHS:
            return _Problem("地区编码应为 6 位（省、市、县）、9 位（乡镇、街道）或 12 位（社区、村）数字", "invalid")
        region = self.codes.get(code)
        if region is not None and region.id in self.in_scope:
            return _Place(region)
        if region is not None or code in self.codes_elsewhere:
            return _Problem(f"地区编码 {code} 对应的地区不在您的管辖范围内", "out_of_scope")
        return _Problem(f"地区编码 {code} 不存在", "not_found")


class _Templates:
    """The templates the caller may use, by name; a row may use those of its region and of the regions above it."""

    def __init__(self, templates: Iterable[Template]) -> None:
        self.by_name: dict[str, list[Template]] = defaultdict(list)
        self.builtin: dict[str, Template] = {}
        for template in templates:
            self.by_name[_key(template.name)].append(template)
            if template.builtin is not None:
                self.builtin[template.builtin] = template

    def choose(self, text: str, kind: CheckpointKind, place: _Place) -> Template | _Problem:
        if not text:
            default = self.builtin.get(default_template_slug(kind))
            return default or _Problem("没有可用的默认表单模板，请填写表单模板", "not_found")
        named = self.by_name.get(_key(text), [])
        usable = [template for template in named if usable_in(template, place.anchor.path)]
        if usable:
            # The same name above and below: the nearest region's template is the one its admins mean.
            return max(usable, key=lambda template: len(template.region_path))
        if named:
            return _Problem(f"表单模板「{text}」不能用于「{place.label}」的卡口", "out_of_scope")
        return _Problem(f"表单模板「{text}」不存在", "not_found")


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    errors: list[FieldError] = field(default_factory=list)
    kind: CheckpointKind | None = None
    body: CheckpointCreate | None = None
    place: _Place | None = None
    template: Template | None = None

    def cell(self, key: str) -> str:
        return self.cells.get(key, "")

    def fail(self, key: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError(field=key, message=message, code=code, row=self.number))

    def failed(self, key: str) -> bool:
        return any(error.field == key for error in self.errors)


def _value_problem(key: str, text: str, error_type: str) -> _Problem:
    """A row's value `CheckpointCreate` refused, in the words of its column."""
    header = _HEADERS[key]
    if key == "name":
        if error_type == "string_too_short":
            return _Problem("请填写卡口名称", "required")
        return _Problem(f"卡口名称太长，最多 {LIMITS.name_length} 个字", "too_long")
    if key == "address":
        return _Problem(f"地址太长，最多 {LIMITS.address_length} 个字", "too_long")
    if key == "temp_valid_minutes":
        minutes = LIMITS.minutes
        return _Problem(f"{header}应为 {minutes[0]} 到 {minutes[1]} 之间的整数，不能是「{text}」", "invalid")
    if key == "fever_threshold":
        fever = LIMITS.fever
        return _Problem(f"{header}应为 {fever[0]} 到 {fever[1]} 之间的数字，不能是「{text}」", "invalid")
    return _Problem(f"{header}填写有误", "invalid")


def _read_row(line: SheetRow, positions: dict[str, int]) -> _Row:
    """A row's cells checked on their own: kind, yes/no, and everything `CheckpointCreate` checks."""
    row = _Row(
        line.number, {key: line.cells[index] if index < len(line.cells) else "" for key, index in positions.items()}
    )
    row.kind = kind_of(row.cell("kind"))
    if row.kind is None:
        if row.cell("kind"):
            row.fail("kind", f"类型「{row.cell('kind')}」无法识别，可填：{kinds_hint()}", "unknown_kind")
        else:
            row.fail("kind", f"请填写类型，可填：{kinds_hint()}", "required")
    audit = yes_no(row.cell("requires_audit"))
    if audit is None:
        row.fail("requires_audit", f"需要审核应填“是”或“否”，不能是「{row.cell('requires_audit')}」")
    data: dict[str, Any] = {
        # Placeholders (any valid id): regions and templates are found by name, once for the whole file.
        "region_id": 1,
        "template_id": 1,
        "name": row.cell("name"),
        "kind": row.kind or CheckpointKind.other,
        "address": row.cell("address") or None,
        "requires_audit": bool(audit),
    }
    for key in ("temp_valid_minutes", "fever_threshold"):
        if row.cell(key):
            data[key] = _UNITS.sub("", row.cell(key))
    try:
        row.body = CheckpointCreate.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            key = str(detail["loc"][0])
            problem = _value_problem(key, row.cell(key), detail["type"])
            row.fail(key, problem.message, problem.code)
    return row


class CheckpointImport:
    """Imports a spreadsheet of checkpoints into the caller's subtree: a dry run reports every problem of every row;
    a real run creates everything (missing regions too, when asked) or, with any problem, nothing."""

    def __init__(
        self, session: AsyncSession, caller: AdminPrincipal, checkpoints: CheckpointService, regions: RegionService
    ) -> None:
        self.session = session
        self.caller = caller
        self.checkpoint_service = checkpoints
        self.region_service = regions
        self.regions = RegionRepository(session)
        self.templates = TemplateRepository(session)
        self.checkpoints = CheckpointRepository(session)

    async def run(self, content: bytes, file_name: str, *, dry_run: bool, create_regions: bool) -> ImportResult:
        result = await self._check_and_import(content, dry_run=dry_run, create_regions=create_regions)
        self._log(file_name, result)
        return result

    def _log(self, file_name: str, result: ImportResult) -> None:
        """An import that ran, dry or not, in the caller's own region (its checkpoints may lie anywhere below it)."""
        if result.error_count:
            summary = f"表格 {result.rows} 行，{result.error_count} 处错误，未导入"
        else:
            regions = f"、{result.regions_created} 个地区" if result.regions_created else ""
            verb = "可新建" if result.dry_run else "新建了"
            summary = f"表格 {result.rows} 行，{verb} {result.created} 个卡口{regions}"
        self.checkpoint_service.log.record(
            OperationAction.import_dry_run if result.dry_run else OperationAction.import_run,
            Target(id=None, name=file_name or "（未命名文件）", region_path=self.caller.region_path),
            summary,
        )

    async def _check_and_import(self, content: bytes, *, dry_run: bool, create_regions: bool) -> ImportResult:
        rows = await _read_rows(content)
        regions = await self._regions(rows, create=create_regions)
        for row in rows:
            place = regions.place(row.cell("region"))
            if isinstance(place, _Problem):
                row.fail("region", place.message, place.code)
            else:
                row.place = place
        await self._check_names(rows)
        self._choose_templates(rows, _Templates(await self._visible_templates()))
        errors = sorted(
            (error for row in rows for error in row.errors),
            key=lambda error: (error.row or 0, _COLUMN_ORDER.get(error.field, len(COLUMNS))),
        )
        if errors:
            return _refused(errors, rows=len(rows), dry_run=dry_run)
        new_regions = self._new_regions(rows)
        if not dry_run:
            made = await self._create_regions(new_regions)
            await self.checkpoint_service.create_all([self._draft(row, made) for row in rows])
        return ImportResult(
            created=len(rows),
            dry_run=dry_run,
            errors=[],
            error_count=0,
            regions_created=len(new_regions),
            rows=len(rows),
        )

    async def _regions(self, rows: Sequence[_Row], *, create: bool) -> _Regions:
        subtree = await self.regions.within(self.caller.region_path)
        own = next((region for region in subtree if region.id == self.caller.region_id), None)
        if own is None:
            raise RegionNotFound("您所属的地区已不存在")
        chain = [*await self.regions.by_ids(own.ancestor_ids), own]
        on_chain = {region.id for region in chain}
        beside = [
            name for region_id, name in await self.regions.children_of(own.ancestor_ids) if region_id not in on_chain
        ]
        regions = _Regions(chain, subtree, beside, create=create)
        unknown = regions.unknown_codes(row.cell("region") for row in rows)
        if unknown:
            regions.codes_elsewhere = await self.regions.existing_codes(unknown)
        return regions

    async def _visible_templates(self) -> list[Template]:
        """Every template of the caller's subtree and of the regions above it, the built-ins among them."""
        found: list[Template] = []
        cursor: str | None = None
        while True:
            page = await self.templates.page_visible(
                self.caller.region_path,
                ancestor_paths(self.caller.region_path),
                query=None,
                cursor=cursor,
                limit=200,
            )
            found.extend(page.items)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    async def _check_names(self, rows: Sequence[_Row]) -> None:
        """Names are unique within a region: among the file's rows, and against the checkpoints already there."""
        existing = {row.place.anchor.id for row in rows if row.place is not None and not row.place.missing}
        taken = {(region_id, _key(name)) for region_id, name in await self.checkpoints.names_in(existing)}
        first_row: dict[tuple[_PlaceKey, str], int] = {}
        for row in rows:
            if row.place is None or row.failed("name"):
                continue
            name = row.cell("name")
            seen = first_row.setdefault((row.place.key, _key(name)), row.number)
            if seen != row.number:
                row.fail("name", f"卡口名称「{name}」与第 {seen} 行重复（同一地区内卡口不能重名）", "duplicate")
            elif not row.place.missing and (row.place.anchor.id, _key(name)) in taken:
                row.fail("name", f"「{row.place.anchor.name}」已有名为「{name}」的卡口", "taken")

    @staticmethod
    def _choose_templates(rows: Sequence[_Row], templates: _Templates) -> None:
        for row in rows:
            if row.place is None or row.kind is None:
                continue
            chosen = templates.choose(row.cell("template"), row.kind, row.place)
            if isinstance(chosen, _Problem):
                row.fail("template", chosen.message, chosen.code)
            else:
                row.template = chosen

    @staticmethod
    def _new_regions(rows: Sequence[_Row]) -> dict[_PlaceKey, tuple[Region, tuple[str, ...]]]:
        """The regions to create, parents before children, each once however many rows name it."""
        new: dict[_PlaceKey, tuple[Region, tuple[str, ...]]] = {}
        for row in rows:
            if row.place is None:
                continue
            anchor_id, keys = row.place.key
            for depth in range(1, len(keys) + 1):
                new.setdefault((anchor_id, keys[:depth]), (row.place.anchor, row.place.missing[:depth]))
        return new

    async def _create_regions(self, new: dict[_PlaceKey, tuple[Region, tuple[str, ...]]]) -> dict[_PlaceKey, Region]:
        # Through the region service, so that an imported region obeys every rule a region made by hand does.
        service = self.region_service
        made: dict[_PlaceKey, Region] = {}
        for (anchor_id, keys), (anchor, names) in new.items():
            parent = anchor if len(keys) == 1 else made[anchor_id, keys[:-1]]
            created = await service.create(RegionCreate(parent_id=parent.id, name=names[-1]))
            region = await self.regions.get(created.id)
            assert region is not None
            made[anchor_id, keys] = region
        return made

    @staticmethod
    def _draft(row: _Row, made: dict[_PlaceKey, Region]) -> CheckpointDraft:
        assert row.place is not None
        assert row.template is not None
        assert row.body is not None
        region = made[row.place.key] if row.place.missing else row.place.anchor
        body = row.body.model_copy(update={"region_id": region.id, "template_id": row.template.id})
        return CheckpointDraft(region=region, template=row.template, body=body)


async def checkpoint_import(
    admin: CurrentAdmin, session: DbSession, checkpoints: Checkpoints, regions: Regions
) -> CheckpointImport:
    return CheckpointImport(session, admin, checkpoints, regions)


Imports = Annotated[CheckpointImport, Depends(checkpoint_import)]


async def _read_rows(content: bytes) -> list[_Row]:
    """The sheet's rows under their columns; a header that names no known column refuses the whole file."""
    # A few hundred milliseconds of parsing for thousands of rows: off the event loop, which serves others meanwhile.
    sheet = await asyncio.to_thread(read_sheet, content)
    positions, header_problems = match_headers(sheet.headers)
    if header_problems:
        raise ValidationFailed(
            "表格的表头有误",
            errors=[
                FieldError(field="file", message=message, code="header", row=sheet.header_row)
                for message in header_problems
            ],
        )
    return [_read_row(line, positions) for line in sheet.rows]


def _refused(errors: Sequence[FieldError], *, rows: int, dry_run: bool) -> ImportResult:
    """A sheet with errors imports nothing: a dry run lists them, an import is refused with them."""
    bad_rows = len({error.row for error in errors})
    if not dry_run:
        shown = "" if len(errors) <= MAX_REPORTED_ERRORS else f"，下面列出前 {MAX_REPORTED_ERRORS} 处"
        raise ImportRejected(
            f"{bad_rows} 行有误（共 {len(errors)} 处{shown}），未导入任何卡口，请修改后重新上传",
            errors=list(errors[:MAX_REPORTED_ERRORS]),
        )
    return ImportResult(
        created=0,
        dry_run=True,
        errors=list(errors[:MAX_REPORTED_ERRORS]),
        error_count=len(errors),
        regions_created=0,
        rows=rows,
    )
