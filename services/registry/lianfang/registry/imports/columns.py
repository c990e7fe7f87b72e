"""The columns of a checkpoint import: the headers people write (the template's Chinese ones, their short forms, the
English keys of the API) and the words a cell may hold for a kind or a yes/no."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from annotated_types import Ge, Le, MaxLen

from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.forms import COMMUTER_BUS, HOSPITAL, OFFICE_VISITOR, RESIDENTIAL_GATE
from lianfang.registry.checkpoints.schemas import CheckpointCreate
from lianfang.registry.models import CheckpointKind

__all__ = [
    "COLUMNS",
    "LIMITS",
    "Column",
    "Limits",
    "default_template_slug",
    "kind_aliases",
    "kind_of",
    "kinds_hint",
    "match_headers",
    "yes_no",
]


@dataclass(frozen=True)
class Column:
    # The API's field name: what a row's errors name in `field`.
    key: str
    header: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("region", "地区", True, ("所属地区", "区域", "地区路径", "地区编码", "region_path", "region_code")),
    Column("name", "卡口名称", True, ("名称", "卡口")),
    Column("kind", "类型", True, ("卡口类型",)),
    Column("address", "地址", False, ("详细地址",)),
    Column("template", "表单模板", False, ("模板", "template_name")),
    Column("temp_valid_minutes", "体温有效期（分钟）", False),
    Column("requires_audit", "需要审核", False, ("是否需要审核", "审核")),
    Column("fever_threshold", "发热阈值（℃）", False, ("发热判定体温",)),
)


@dataclass(frozen=True)
class Limits:
    """What `CheckpointCreate` accepts, for the messages and the template's notes to quote."""

    name_length: int
    address_length: int
    minutes: tuple[int, int]
    fever: tuple[float, float]
    default_fever: float


_Constraint = TypeVar("_Constraint")


def _constraint(field: str, kind: type[_Constraint]) -> _Constraint:
    return next(item for item in CheckpointCreate.model_fields[field].metadata if isinstance(item, kind))


def _bounds(field: str) -> tuple[Any, Any]:
    return _constraint(field, Ge).ge, _constraint(field, Le).le


LIMITS = Limits(
    name_length=_constraint("name", MaxLen).max_length,
    address_length=_constraint("address", MaxLen).max_length,
    minutes=_bounds("temp_valid_minutes"),
    fever=_bounds("fever_threshold"),
    default_fever=CheckpointCreate.model_fields["fever_threshold"].default,
)

# Parenthesised notes (`（分钟）`), required marks and spacing do not change which column a header names.
_NOTES = re.compile(r"\(.*?\)|[\s*_\-]")


def _normal(text: str) -> str:
    return _NOTES.sub("", unicodedata.normalize("NFKC", text)).casefold()


_HEADERS = {_normal(name): column for column in COLUMNS for name in (column.key, column.header, *column.aliases)}


def match_headers(headers: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """The position of each known column, and what is wrong with the header row (missing or repeated columns).
    Columns nobody asked for (notes, a serial number) are left alone."""
    positions: dict[str, int] = {}
    problems: list[str] = []
    for index, header in enumerate(headers):
        column = _HEADERS.get(_normal(header))
        if column is None:
            continue
        if column.key in positions:
            problems.append(f"「{column.header}」列出现了两次")
        else:
            positions[column.key] = index
    missing = [column.header for column in COLUMNS if column.required and column.key not in positions]
    if missing:
        problems.insert(0, f"缺少必填列：{'、'.join(missing)}（请使用导入模板的表头）")
    return positions, problems


_EXTRA_KIND_WORDS = {
    "村": CheckpointKind.village,
    "其它": CheckpointKind.other,
    "超市": CheckpointKind.market,
    "商场": CheckpointKind.market,
    "写字楼": CheckpointKind.office,
    "公交": CheckpointKind.vehicle,
    "火车站": CheckpointKind.station,
    "汽车站": CheckpointKind.station,
}


def kind_aliases(kind: CheckpointKind) -> list[str]:
    """What else a cell may say for a kind besides its label and key: the parts of the label, common short forms."""
    label = KIND_LABELS[kind.value]
    parts = label.split("/") if "/" in label else []
    return [*parts, *(word for word, named in _EXTRA_KIND_WORDS.items() if named is kind)]


_KINDS = {
    _normal(word): kind
    for kind in CheckpointKind
    for word in (kind.value, KIND_LABELS[kind.value], *kind_aliases(kind))
}


def kind_of(text: str) -> CheckpointKind | None:
    """The kind a cell names by key (`hospital`), label (`小区/社区`) or a common short form (`小区`, `村`)."""
    return _KINDS.get(_normal(text))


def kinds_hint() -> str:
    return "、".join(KIND_LABELS.values())


_YES = {"是", "需要", "要", "true", "yes", "y", "1", "√"}
_NO = {"否", "不需要", "不", "false", "no", "n", "0", "×", ""}


def yes_no(text: str) -> bool | None:
    """True or False for the usual ways of writing yes and no (blank is no); None for anything else."""
    word = _normal(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


# Built-in templates by slug, not name: the root admin may rename them.
_DEFAULT_TEMPLATES = {
    CheckpointKind.hospital: HOSPITAL.slug,
    CheckpointKind.vehicle: COMMUTER_BUS.slug,
    CheckpointKind.office: OFFICE_VISITOR.slug,
}


def default_template_slug(kind: CheckpointKind) -> str:
    """The built-in template a row of this kind gets when it names none."""
    return _DEFAULT_TEMPLATES.get(kind, RESIDENTIAL_GATE.slug)
