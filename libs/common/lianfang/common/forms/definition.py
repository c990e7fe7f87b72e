"""A form template's fields in order, checked as a whole, and the answers residents give to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Self

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import ValidationError as PydanticValidationError

from lianfang.common.beijing import beijing_today
from lianfang.common.errors import FieldError, ValidationFailed
from lianfang.common.forms.answers import InvalidAnswer, clean_answer, is_blank
from lianfang.common.forms.fields import MAX_FIELDS, OPTION_TYPES, PERSONAL_TYPES, FieldType, FormField, field_problems

__all__ = ["FormDefinition", "PersonalData"]

# Mainland China has kept UTC+8 without daylight saving since 1991, so a fixed offset needs no tz database.

_PYDANTIC_MESSAGES: Final = {
    "missing": "必填",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "tuple_type": "应为列表",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "extra_forbidden": "不支持的属性",
}


@dataclass(frozen=True, slots=True)
class PersonalData:
    """The person's own name, phone and ID number among the answers: the first answered field of each type."""

    name: str | None = None
    phone: str | None = None
    id_card: str | None = None


class FormDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fields: tuple[FormField, ...]

    @model_validator(mode="after")
    def _check_as_a_whole(self) -> Self:
        problems = _count_problems(len(self.fields), "fields") or [
            *_attribute_problems(enumerate(self.fields), "fields"),
            *_duplicate_keys(((index, field.key) for index, field in enumerate(self.fields)), "fields"),
        ]
        if problems:
            raise ValueError("；".join(f"{problem.field}：{problem.message}" for problem in problems))
        return self

    @classmethod
    def from_fields(cls, raw: object, *, location: str = "fields") -> FormDefinition:
        """A definition from the `fields` an administrator sent, refused with one 422 entry per bad attribute.

        Entries are named `<location>.<index>.<attribute>` (`fields.2.options`), or `<location>` for the list as a whole.
        """
        if not isinstance(raw, list | tuple):
            raise ValidationFailed("表单定义有误", errors=[FieldError(field=location, message="应为字段列表")])
        if problems := _count_problems(len(raw), location):
            raise ValidationFailed("表单定义有误", errors=problems)
        errors: list[FieldError] = []
        parsed: list[tuple[int, FormField]] = []
        keys: list[tuple[int, str]] = []
        for index, item in enumerate(raw):
            try:
                field = FormField.model_validate(item)
            except PydanticValidationError as exc:
                errors.extend(_translated(exc, f"{location}.{index}"))
                # A field refused for another attribute still takes its key, so a duplicate shows in the same answer.
                key = item.get("key") if isinstance(item, Mapping) else None
                if isinstance(key, str):
                    keys.append((index, key))
            else:
                parsed.append((index, field))
                keys.append((index, field.key))
        errors.extend(_attribute_problems(parsed, location))
        errors.extend(_duplicate_keys(keys, location))
        if errors:
            errors.sort(key=lambda error: _index_of(error.field, location))
            raise ValidationFailed("表单定义有误", errors=_first_per_name(errors))
        return cls(fields=tuple(field for _, field in parsed))

    def validate_answers(
        self, answers: Mapping[str, object], *, location: str = "answers", today: dt.date | None = None
    ) -> dict[str, object]:
        """The answers cleaned for storage, in the form's order, or `ValidationFailed` with one entry per bad answer.

        Strings come back stripped and normalised (phone digits, upper-case ID numbers and plates, ISO dates, multiselect
        choices in the template's order); blank optional answers are left out. Keys the form does not have are refused
        rather than dropped: they mean the page shows another version of the form, and silently losing what a person typed
        would hide that. Entries are named `<location>.<key>`; `today` (in China) bounds birth dates.
        """
        today = today or beijing_today()
        cleaned: dict[str, object] = {}
        errors: list[FieldError] = []
        labels: list[str] = []
        for field in self.fields:
            value = answers.get(field.key)
            if is_blank(value):
                if field.required:
                    verb = "选择" if field.type in OPTION_TYPES or field.type is FieldType.bool else "填写"
                    errors.append(
                        FieldError(field=f"{location}.{field.key}", message=f"请{verb}{field.label}", code="missing")
                    )
                    labels.append(field.label)
                continue
            try:
                cleaned[field.key] = clean_answer(field, value, today=today)
            except InvalidAnswer as exc:
                errors.append(FieldError(field=f"{location}.{field.key}", message=exc.message, code=exc.code))
                labels.append(field.label)
        known = {field.key for field in self.fields}
        for key in answers:
            if key not in known:
                message = "表单中没有这一项，请刷新页面后重新填写"
                errors.append(FieldError(field=f"{location}.{key}", message=message, code="unknown_field"))
        if errors:
            detail = f"请检查：{'、'.join(labels)}" if labels else "表单已更新，请刷新页面后重新填写"
            raise ValidationFailed(detail, errors=errors)
        return cleaned

    def personal_fields(self) -> dict[FieldType, tuple[str, ...]]:
        """The keys of the name, phone and ID-number fields, in form order, for each of those three types."""
        return {kind: tuple(field.key for field in self.fields if field.type is kind) for kind in PERSONAL_TYPES}

    def personal_data(self, answers: Mapping[str, object]) -> PersonalData:
        """The person's own data in answers already cleaned by `validate_answers`.

        A form may ask for a second phone (an emergency contact, say): the first field of each type is the person's.
        """
        found: dict[FieldType, str] = {}
        for field in self.fields:
            value = answers.get(field.key)
            if field.type in PERSONAL_TYPES and field.type not in found and isinstance(value, str):
                found[field.type] = value
        return PersonalData(
            name=found.get(FieldType.name), phone=found.get(FieldType.phone), id_card=found.get(FieldType.id_card)
        )


def _count_problems(count: int, location: str) -> list[FieldError]:
    if count == 0:
        return [FieldError(field=location, message="请至少添加一个字段")]
    if count > MAX_FIELDS:
        return [FieldError(field=location, message=f"最多 {MAX_FIELDS} 个字段", code="too_long")]
    return []


def _attribute_problems(fields: Iterable[tuple[int, FormField]], location: str) -> list[FieldError]:
    return [
        FieldError(field=f"{location}.{index}.{attribute}", message=message)
        for index, field in fields
        for attribute, message in field_problems(field)
    ]


def _duplicate_keys(keys: Iterable[tuple[int, str]], location: str) -> list[FieldError]:
    problems: list[FieldError] = []
    first_with_key: dict[str, int] = {}
    for index, key in keys:
        if key in first_with_key:
            message = f"标识“{key}”与第 {first_with_key[key] + 1} 个字段重复"
            problems.append(FieldError(field=f"{location}.{index}.key", message=message, code="duplicate"))
        else:
            first_with_key[key] = index
    return problems


def _translated(exc: PydanticValidationError, prefix: str) -> list[FieldError]:
    errors = []
    for error in exc.errors(include_url=False):
        name = ".".join([prefix, *(str(part) for part in error["loc"])])
        if error["type"] == "value_error":
            # Our validators speak Chinese already.
            message, code = str(error.get("ctx", {}).get("error", error["msg"])), "invalid"
        else:
            message, code = _PYDANTIC_MESSAGES.get(error["type"], "格式不正确"), error["type"]
        errors.append(FieldError(field=name, message=message, code=code))
    return errors


def _index_of(name: str, location: str) -> int:
    index = name.removeprefix(f"{location}.").split(".", 1)[0]
    return int(index) if index.isdigit() else -1


def _first_per_name(errors: Sequence[FieldError]) -> list[FieldError]:
    seen: set[str] = set()
    unique = []
    for error in errors:
        if error.field not in seen:
            seen.add(error.field)
            unique.append(error)
    return unique
