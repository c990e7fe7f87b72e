"""Administrative division codes: GB/T 2260 (6 digits down to counties) and the statistics bureau's 9-digit township
and 12-digit village and community codes that extend them."""

from __future__ import annotations

import re

from lianfang.registry.models import Region, RegionLevel

__all__ = ["city_code_for", "code_prefix", "code_problem"]

_FORMATS: dict[RegionLevel, tuple[re.Pattern[str], str]] = {
    RegionLevel.province: (re.compile(r"[0-9]{2}0000"), "省级编码应为 6 位数字且后四位为 0000，如 130000"),
    RegionLevel.city: (re.compile(r"[0-9]{2}(?!00)[0-9]{2}00"), "市级编码应为 6 位数字且以 00 结尾，如 130100"),
    RegionLevel.county: (re.compile(r"[0-9]{4}(?!00)[0-9]{2}"), "县级编码应为 6 位数字且后两位不为 00，如 130102"),
    RegionLevel.township: (re.compile(r"[0-9]{6}(?!000)[0-9]{3}"), "乡镇、街道编码应为 9 位数字，如 130102001"),
    RegionLevel.unit: (re.compile(r"[0-9]{9}(?!000)[0-9]{3}"), "社区、村、单位编码应为 12 位数字，如 130102001001"),
}

# How much of a region's code every code below it repeats.
_PREFIX_LENGTHS = {
    RegionLevel.province: 2,
    RegionLevel.city: 4,
    RegionLevel.county: 6,
    RegionLevel.township: 9,
    RegionLevel.unit: 12,
}


def code_problem(level: RegionLevel, code: str) -> str | None:
    """What is wrong with a code for a region of this level, in words an admin can act on; None when it fits."""
    pattern, message = _FORMATS[level]
    return None if pattern.fullmatch(code) else message


def code_prefix(level: RegionLevel, code: str) -> str:
    """The part of a region's code that the codes of every region below it start with: `13` for 130000."""
    return code[: _PREFIX_LENGTHS[level]]


def city_code_for(level: RegionLevel, code: str | None, parent: Region | None) -> str:
    """The records store's shard key of a new region. It is fixed at creation: records already written carry it, so a
    later change of code moves nothing between shards.

    - A province: the first two digits of its code and `00` (`1300` for 130000). The root always has a code (settings).
    - A city: the first four digits of its code (`1301` for 130100). A city created without a code takes its province's,
      the nearest code known: its records then share the province's shard, which is better than a made-up key.
    - Anything below a city: its city's, even where its own code names another city (possible only under a city created
      without a code), so that a city's whole subtree always lives on one shard and a city's queries touch one shard.
    """
    if level in (RegionLevel.province, RegionLevel.city) and code is not None:
        return code[:4]
    if parent is None:
        raise ValueError("the root region needs a code to derive its city code from")
    return parent.city_code
