"""Form fields as administrators define them, and the rules a field must follow on its own."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lianfang.common.forms.patterns import PatternRefused, compile_pattern
from lianfang.common.validators import plain_text

__all__ = [
    "DEFAULT_MAX_LENGTHS",
    "LENGTH_TYPES",
    "MAX_FIELDS",
    "MAX_LABEL_LENGTH",
    "MAX_LENGTH_CEILING",
    "MAX_OPTIONS",
    "MAX_OPTION_LENGTH",
    "MAX_PATTERN_LENGTH",
    "OPTION_TYPES",
    "PATTERN_TYPES",
    "PERSONAL_TYPES",
    "FieldType",
    "FormField",
    "field_problems",
]


class FieldType(StrEnum):
    text = "text"
    name = "name"
    phone = "phone"
    id_card = "id_card"
    number = "number"
    select = "select"
    multiselect = "multiselect"
    date = "date"
    bool = "bool"
    plate = "plate"
    address = "address"


OPTION_TYPES: Final = frozenset({FieldType.select, FieldType.multiselect})
LENGTH_TYPES: Final = frozenset({FieldType.text, FieldType.name, FieldType.address})
# A pattern narrows a string answer after its type's own check (say, plates of one city only); it means nothing for numbers,
# dates, yes/no or options.
PATTERN_TYPES: Final = LENGTH_TYPES | {FieldType.phone, FieldType.id_card, FieldType.plate}
# Stored encrypted with a keyed hash (DESIGN.md, PIPL); the check-in pipeline finds them by type, whatever their keys.
PERSONAL_TYPES: Final = (FieldType.name, FieldType.phone, FieldType.id_card)
DEFAULT_MAX_LENGTHS: Final = {FieldType.text: 200, FieldType.name: 30, FieldType.address: 200}

MAX_FIELDS: Final = 50
MAX_LABEL_LENGTH: Final = 40
MAX_OPTIONS: Final = 100
MAX_OPTION_LENGTH: Final = 50
MAX_PATTERN_LENGTH: Final = 200
MAX_LENGTH_CEILING: Final = 1000
MAX_PLACEHOLDER_LENGTH: Final = 100
MAX_HELP_LENGTH: Final = 200
PATTERN_REFUSED: Final = "正则表达式使用了不支持的写法（回溯引用如 \\1、前后断言如 (?=…)）或重复次数过大，请改写"

_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
_TYPE_VALUES: Final = tuple(FieldType)
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def _optional_text(value: str | None, limit: int, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"{what}最多 {limit} 个字")
    return plain_text(value)


class FormField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    label: str
    type: FieldType
    required: bool = False
    options: tuple[str, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None
    placeholder: str | None = None
    help: str | None = None

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        if not _KEY.fullmatch(value):
            raise ValueError("字段标识须以小写英文字母开头，只含小写字母、数字和下划线，最多 32 个字符")
        return value

    @field_validator("label")
    @classmethod
    def _check_label(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("请填写字段名称")
        if len(value) > MAX_LABEL_LENGTH:
            raise ValueError(f"字段名称最多 {MAX_LABEL_LENGTH} 个字")
        return plain_text(value)

    @field_validator("type", mode="before")
    @classmethod
    def _check_type(cls, value: object) -> object:
        if isinstance(value, str) and value in _TYPE_VALUES:
            return value
        shown = f"“{value}”" if isinstance(value, str) and len(value) <= 20 else ""
        raise ValueError(f"不支持的字段类型{shown}，可选：{'、'.join(_TYPE_VALUES)}")

    @field_validator("options")
    @classmethod
    def _check_options(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # Admin pages tend to send `[]` for every field; only a non-empty list counts as options given.
        if not value:
            return None
        if len(value) > MAX_OPTIONS:
            raise ValueError(f"最多 {MAX_OPTIONS} 个选项")
        options = tuple(option.strip() for option in value)
        seen: set[str] = set()
        for number, option in enumerate(options, start=1):
            if not option:
                raise ValueError(f"第 {number} 个选项为空")
            if len(option) > MAX_OPTION_LENGTH:
                raise ValueError(f"第 {number} 个选项超过 {MAX_OPTION_LENGTH} 个字")
            if option in seen:
                raise ValueError(f"选项“{option}”重复")
            plain_text(option)
            seen.add(option)
        return options

    @field_validator("pattern")
    @classmethod
    def _check_pattern(cls, value: str | None) -> str | None:
        if not value:
            return None
        if len(value) > MAX_PATTERN_LENGTH:
            raise ValueError(f"正则表达式最多 {MAX_PATTERN_LENGTH} 个字符")
        try:
            re.compile(value)
        except re.error as exc:
            where = f"（第 {exc.pos + 1} 个字符附近）" if exc.pos is not None else ""
            raise ValueError(f"正则表达式无效{where}") from None
        try:
            compile_pattern(value)
        except PatternRefused:
            raise ValueError(PATTERN_REFUSED) from None
        return value

    @field_validator("max_length")
    @classmethod
    def _check_max_length(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_LENGTH_CEILING:
            raise ValueError(f"长度上限应在 1 到 {MAX_LENGTH_CEILING} 之间")
        return value

    @field_validator("placeholder")
    @classmethod
    def _check_placeholder(cls, value: str | None) -> str | None:
        return _optional_text(value, MAX_PLACEHOLDER_LENGTH, "提示文字")

    @field_validator("help")
    @classmethod
    def _check_help(cls, value: str | None) -> str | None:
        return _optional_text(value, MAX_HELP_LENGTH, "说明")

    @property
    def length_limit(self) -> int | None:
        if self.type not in LENGTH_TYPES:
            return None
        return self.max_length or DEFAULT_MAX_LENGTHS[self.type]


def field_problems(field: FormField) -> Sequence[tuple[str, str]]:
    """What makes a field's attributes contradict each other, as (attribute, message) pairs."""
    problems: list[tuple[str, str]] = []
    if field.type in OPTION_TYPES:
        if field.options is None:
            problems.append(("options", "请至少提供一个选项"))
    elif field.options is not None:
        problems.append(("options", "只有单选和多选字段可以设置选项"))
    if field.pattern is not None and field.type not in PATTERN_TYPES:
        problems.append(("pattern", "数字、日期、是否和选项类字段不能设置正则表达式"))
    if field.max_length is not None and field.type not in LENGTH_TYPES:
        problems.append(("max_length", "只有文本、姓名和地址字段可以设置长度上限"))
    if field.type is FieldType.number:
        if field.min is not None and field.max is not None and field.min > field.max:
            problems.append(("max", "最大值不能小于最小值"))
    else:
        if field.min is not None:
            problems.append(("min", "只有数字字段可以设置最小值"))
        if field.max is not None:
            problems.append(("max", "只有数字字段可以设置最大值"))
    return problems
