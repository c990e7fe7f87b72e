"""Field types shared by request schemas, with Chinese messages a person can act on."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = ["MAINLAND_MOBILE", "MainlandMobile", "Password", "Username"]

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


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
Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
