"""Answers as officials and gate staff read them: each under its field's label, in the form's order, the personal ones
(name, phone, ID number) masked unless shown in full."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from lianfang.common.forms.fields import FieldType, FormField
from lianfang.common.pii import mask_id_card, mask_name, mask_phone

__all__ = ["LabelledAnswer", "display", "label_answers", "personal_keys"]

_MASKS: Final[dict[FieldType, Callable[[str], str]]] = {
    FieldType.name: mask_name,
    FieldType.phone: mask_phone,
    FieldType.id_card: mask_id_card,
}


@dataclass(frozen=True, slots=True)
class LabelledAnswer:
    key: str
    label: str
    type: str
    text: str
    masked: bool


def display(value: object) -> str:
    """An answer as text: yes/no in Chinese, several choices joined, numbers without a trailing `.0`."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "、".join(display(item) for item in value)
    return "" if value is None else str(value)


def _shown(field_type: FieldType | None, value: object, *, full: bool) -> tuple[str, bool]:
    text = display(value)
    mask = _MASKS.get(field_type) if field_type is not None else None
    if mask is None or full or not text:
        return text, False
    return mask(text), True


def label_answers(fields: Iterable[FormField], answers: Mapping[str, object], *, full: bool) -> list[LabelledAnswer]:
    """In the form's order; answers the fields (of another version, or none when they cannot be had now) do not name
    come last, under their keys."""
    labelled: list[LabelledAnswer] = []
    seen: set[str] = set()
    for field in fields:
        if field.key not in answers:
            continue
        seen.add(field.key)
        text, masked = _shown(field.type, answers[field.key], full=full)
        labelled.append(LabelledAnswer(field.key, field.label, field.type.value, text, masked))
    for key, value in answers.items():
        if key in seen:
            continue
        # Without its field the type is unknown: a key that reads like a personal field is masked all the same.
        guessed = FieldType(key) if key in _MASKS else None
        text, masked = _shown(guessed, value, full=full)
        labelled.append(LabelledAnswer(key, key, guessed.value if guessed else "text", text, masked))
    return labelled


def personal_keys(fields: Iterable[FormField]) -> set[str]:
    """The keys of the person's own name, phone and ID number (the first field of each type)."""
    found: dict[FieldType, str] = {}
    for field in fields:
        if field.type in _MASKS and field.type not in found:
            found[field.type] = field.key
    return set(found.values())
