"""One answer checked against its field: the resident's input in, the value to store out, or a message they can act on."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Final

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumInvalid

from lianfang.common.forms.fields import FieldType, FormField
from lianfang.common.forms.patterns import pattern_matches
from lianfang.common.validators import MAINLAND_MOBILE, invisible_character, invisible_message

__all__ = ["InvalidAnswer", "clean_answer", "is_blank"]

# Anyone alive was born after this; an earlier date in an ID number is a typo.
_EARLIEST_BIRTH_DATE: Final = dt.date(1900, 1, 1)

_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_NAME_PART = f"[{_CJK}{_LATIN}]+"
# Latin names may carry initials and hyphens (John F. Kennedy, Jean-Luc); Chinese ones only the middle dot.
_NAME = re.compile(rf"{_NAME_PART}(?:(?:\. ?|[· '\-]){_NAME_PART})*")
# Phones and input methods type the separator of minority names in many ways; the ID card prints U+00B7.
_MIDDLE_DOTS = re.compile(rf"\s*[·•・･‧∙⋅．]\s*|(?<=[{_CJK}])\s*\.\s*(?=[{_CJK}])")
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")

_ID_CARD = re.compile(r"\d{17}[\dX]", re.ASCII)

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # plates never use I or O: they read as 1 and 0
_PLATE = re.compile(
    "|".join(
        (
            rf"[{_PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳]",
            # Small new-energy cars: the serial starts with D (electric) or F (other); cities that ran out of those go on
            # with A B C E (electric) and G H J K (other).
            rf"[{_PROVINCES}][{_LETTER}][DABCEFGHJK][{_LETTER}0-9][0-9]{{4}}",
            # Large new-energy vehicles: D or F last.
            rf"[{_PROVINCES}][{_LETTER}][0-9]{{5}}[DF]",
        )
    )
)
_PLATE_SEPARATORS = re.compile(r"[\s·•・.\-]")

_INTEGER = re.compile(r"[+-]?\d{1,30}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?\d{1,30}\.\d{1,30}", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class InvalidAnswer(Exception):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not value
    return False


def clean_answer(field: FormField, value: object, *, today: dt.date) -> object:
    """The value to store for a non-blank answer; raises `InvalidAnswer`."""
    cleaned = _CLEANERS[field.type](field, value, today)
    if field.pattern is not None and isinstance(cleaned, str) and not pattern_matches(field.pattern, cleaned):
        raise InvalidAnswer("格式不符合要求", "pattern_mismatch")
    return cleaned


def _string(value: object, message: str = "请填写文字") -> str:
    if not isinstance(value, str):
        raise InvalidAnswer(message)
    # Line breaks and tabs may come from a text area; other control and invisible characters from nobody's keyboard.
    if (char := invisible_character(value, allowed="\t\n\r")) is not None:
        raise InvalidAnswer(invisible_message(char), "invisible_character")
    return value.strip()


def _narrow(value: str) -> str:
    """Full-width digits and letters (as Chinese input methods type them) as ASCII, without spaces."""
    return "".join(unicodedata.normalize("NFKC", value).split())


def _within_length(field: FormField, value: str) -> str:
    limit = field.length_limit
    if limit is not None and len(value) > limit:
        raise InvalidAnswer(f"最多 {limit} 个字", "too_long")
    return value


def _text(field: FormField, value: object, today: dt.date) -> str:
    return _within_length(field, _string(value))


def _name(field: FormField, value: object, today: dt.date) -> str:
    name = _MIDDLE_DOTS.sub("·", _string(value))
    name = _SPACE_NEXT_TO_CJK.sub("", " ".join(name.split()))
    name = _within_length(field, name)
    if not _NAME.fullmatch(name):
        raise InvalidAnswer("只能填写汉字或英文字母，少数民族姓名可用“·”分隔")
    return name


def _phone(field: FormField, value: object, today: dt.date) -> str:
    message = "请输入 11 位中国大陆手机号"
    phone = _narrow(_string(value, message)).replace("-", "")
    for prefix in ("+86", "0086"):
        phone = phone.removeprefix(prefix)
    if not (phone.isascii() and MAINLAND_MOBILE.fullmatch(phone)):
        raise InvalidAnswer(message)
    return phone


def _id_card(field: FormField, value: object, today: dt.date) -> str:
    message = "请输入 18 位居民身份证号码"
    number = _narrow(_string(value, message)).upper()
    if not _ID_CARD.fullmatch(number):
        raise InvalidAnswer(message)
    # Not `ric.validate`: it also refuses area codes missing from its list or created after the birth year, yet numbers keep
    # the area code of where they were issued, and the list lags behind new districts: real residents would be turned away.
    digits = number[6:14]
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumInvalid:
        raise InvalidAnswer(f"身份证号码中的出生日期 {digits} 不存在") from None
    if birth_date > today:
        raise InvalidAnswer(f"身份证号码中的出生日期 {digits} 晚于今天")
    if birth_date < _EARLIEST_BIRTH_DATE:
        raise InvalidAnswer(f"身份证号码中的出生日期 {digits} 不正确")
    if ric.calc_check_digit(number) != number[-1]:
        raise InvalidAnswer("身份证号码有误（校验位不符），请逐位核对", "checksum")
    return number


def _format_limit(limit: float) -> str:
    return str(int(limit)) if limit.is_integer() else str(limit)


def _number(field: FormField, value: object, today: dt.date) -> int | float:
    message = "请输入数字"
    number: int | float
    if isinstance(value, bool):
        raise InvalidAnswer(message)
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        number = value
    elif isinstance(value, str):
        text = _narrow(value)
        if _INTEGER.fullmatch(text):
            number = int(text)
        elif _DECIMAL.fullmatch(text):
            number = float(text)
        else:
            raise InvalidAnswer(message)
    else:
        raise InvalidAnswer(message)
    if field.min is not None and number < field.min:
        raise InvalidAnswer(f"不能小于 {_format_limit(field.min)}", "out_of_range")
    if field.max is not None and number > field.max:
        raise InvalidAnswer(f"不能大于 {_format_limit(field.max)}", "out_of_range")
    return number


def _options(field: FormField) -> tuple[str, ...]:
    assert field.options is not None, "a valid definition gives every select field its options"
    return field.options


def _select(field: FormField, value: object, today: dt.date) -> str:
    message = "请从给定的选项中选择"
    choice = _string(value, message)
    if choice not in _options(field):
        raise InvalidAnswer(message, "not_an_option")
    return choice


def _shown(value: str) -> str:
    return value if len(value) <= 20 else f"{value[:20]}…"


def _multiselect(field: FormField, value: object, today: dt.date) -> list[str]:
    message = "请从给定的选项中选择"
    if not isinstance(value, list | tuple):
        raise InvalidAnswer(message)
    options = _options(field)
    chosen: set[str] = set()
    for item in value:
        choice = _string(item, message)
        if choice not in options:
            raise InvalidAnswer(f"“{_shown(choice)}”不是可选项", "not_an_option")
        if choice in chosen:
            raise InvalidAnswer(f"“{choice}”选了两次", "duplicate")
        chosen.add(choice)
    # In the template's order, so the same choices always store (and prefill) the same way.
    return [option for option in options if option in chosen]


def _date(field: FormField, value: object, today: dt.date) -> str:
    message = "请按“年-月-日”填写日期，如 2020-02-01"
    text = _narrow(_string(value, message))
    if not _ISO_DATE.fullmatch(text):
        raise InvalidAnswer(message)
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidAnswer(f"日期 {text} 不存在") from None


def _bool(field: FormField, value: object, today: dt.date) -> bool:
    if isinstance(value, bool):
        return value
    # Plain HTML forms send their values as text.
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise InvalidAnswer("请选择“是”或“否”")


def _plate(field: FormField, value: object, today: dt.date) -> str:
    message = "请输入正确的车牌号，如 京A12345，新能源车如 京AD12345"
    plate = _PLATE_SEPARATORS.sub("", unicodedata.normalize("NFKC", _string(value, message))).upper()
    if _PLATE.fullmatch(plate):
        return plate
    if "I" in plate or "O" in plate:
        raise InvalidAnswer("车牌号不使用字母 I 和 O，请核对（可能是数字 1 或 0）")
    raise InvalidAnswer(message)


_CLEANERS: Final[Mapping[FieldType, Callable[[FormField, object, dt.date], object]]] = {
    FieldType.text: _text,
    FieldType.name: _name,
    FieldType.phone: _phone,
    FieldType.id_card: _id_card,
    FieldType.number: _number,
    FieldType.select: _select,
    FieldType.multiselect: _multiselect,
    FieldType.date: _date,
    FieldType.bool: _bool,
    FieldType.plate: _plate,
    FieldType.address: _text,
}
