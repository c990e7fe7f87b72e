"""Field types shared by request schemas, with Chinese messages a person can act on."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = [
    "MAINLAND_MOBILE",
    "MainlandMobile",
    "Password",
    "PlainText",
    "Username",
    "invisible_character",
    "invisible_message",
    "plain_text",
]

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


# Control and format characters (NUL, \v, U+202E that reverses what follows, zero-width spaces), lone surrogates and line
# or paragraph separators: nobody types them into a name, they break spreadsheets (openpyxl refuses the whole file) and
# disguise what a reader sees.
_INVISIBLE: frozenset[str] = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def invisible_character(value: str, allowed: str = "") -> str | None:
    """The first control or invisible character of `value` not in `allowed`, if any."""
    # Python's printable excludes every category above (and private use, unassigned and spaces other than ASCII's): a
    # printable value, nearly every one, is answered without looking at its characters one by one.
    if value.isprintable():
        return None
    for char in value:
        if unicodedata.category(char) in _INVISIBLE and char not in allowed:
            return char
    return None


def invisible_message(char: str) -> str:
    return f"不能包含控制字符或不可见字符（U+{ord(char):04X}）"


def plain_text(value: str) -> str:
    """Refuses control and invisible characters (a name, a label, an address typed by a person)."""
    if (char := invisible_character(value)) is not None:
        raise ValueError(invisible_message(char))
    return value


def _mainland_mobile(value: str) -> str:
    if not MAINLAND_MOBILE.match(value):
        raise ValueError("请输入 11 位中国大陆手机号")
    return value


def _password(value: str) -> str:
    if len(value) < 8 or not re.search(r"[A-Za-z]", value) or not re.search(r"\d", value):
        raise ValueError("密码至少 8 位，且同时包含字母和数字")
    return value


MainlandMobile = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_mainland_mobile)]
Password = Annotated[str, StringConstraints(max_length=128), AfterValidator(_password)]
PlainText = Annotated[str, AfterValidator(plain_text)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
