"""Fitting Chinese text into a width: shrink, break into two lines, and shorten with an ellipsis as the last resort."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from lianfang.registry.posters.pdf import Font

__all__ = ["FittedText", "fit_block", "fit_line", "fit_title"]

ELLIPSIS = "…"

# Chinese line breaking (GB/T 15834 and common typesetting): no line starts with closing punctuation and none ends with
# an opening bracket.
_NO_LINE_START = set("）)」』》〉】〕，,。.、；;：:！!？?·…%")
_NO_LINE_END = set("（(「『《〈【〔")
# Breaking here keeps a phrase whole: before an opening bracket, after a separator.
_NATURAL_BEFORE = set("（(「『《〈【〔")
_NATURAL_AFTER = set("·-—/、，,")


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Without a word segmenter, the words checkpoint names are mostly made of: a break keeps every word whole and prefers
# to follow one that ends a place or a side, so 门诊楼东侧发热门诊 breaks as 门诊楼东侧 / 发热门诊.
_PHRASE_ENDS = _words(
    "小区 社区 街道 大街 医院 学校 中学 小学 大学 市场 超市 商场 广场 公司 大厦 车站 公园 宾馆 酒店 "
    "东侧 西侧 南侧 北侧 东门 西门 南门 北门 正门 侧门 后门 大门 门岗 路口 出口 入口 通道 卡口 单元 号楼"
)
_WORDS = _PHRASE_ENDS | _words("门诊 发热 急诊 住院 临时 预检 分诊 核酸 检测 村委 居委 停车 公交 地铁 高速 服务")
_NUMERALS = set("零〇一二三四五六七八九十百千万")


@dataclass(frozen=True, slots=True)
class FittedText:
    lines: tuple[str, ...]
    size: float


def _size_for(width: float, natural_width: float, largest: float) -> float:
    # Rounded down to a tenth of a point so that size × width never lands a rounding error past the width.
    return min(largest, math.floor(width / natural_width * 10) / 10)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _latin_word(left: str, right: str) -> bool:
    return left.isascii() and right.isascii() and left.isalnum() and right.isalnum()


def _inside_word(left: str, right: str) -> bool:
    return left + right in _WORDS or (left in _NUMERALS and right in _NUMERALS)


def _break_points(text: str) -> list[int]:
    points = [
        index
        for index in range(1, len(text))
        if not _latin_word(text[index - 1], text[index])
        and text[index] not in _NO_LINE_START
        and text[index - 1] not in _NO_LINE_END
    ]
    # A name that is one long Latin word can still break, anywhere.
    return points or list(range(1, len(text)))


def _split(text: str, font: Font) -> tuple[str, str]:
    """The two lines of most equal width, nudged towards a break between phrases."""
    best: tuple[float, int, str, str] | None = None
    em = font.width("国", 1)
    for index in _break_points(text):
        first, second = text[:index].rstrip(), text[index:].lstrip()
        if not first or not second:
            continue
        widest = max(font.width(first, 1), font.width(second, 1))
        natural = (
            text[index] in _NATURAL_BEFORE
            or text[index - 1] in _NATURAL_AFTER
            or text[index] == " "
            or text[index - 2 : index] in _PHRASE_ENDS
        )
        inside = _inside_word(text[index - 1], text[index])
        score = widest - (2 * em if natural else 0.0) + (3 * em if inside else 0.0)
        candidate = (score, 0 if natural else 1, first, second)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    if best is None:
        return text, ""
    return best[2], best[3]


def _shorten(text: str, font: Font, size: float, width: float, *, keep_end: bool = False) -> str:
    if font.width(text, size) <= width:
        return text
    while text and font.width(text + ELLIPSIS, size) > width:
        text = text[1:] if keep_end else text[:-1]
    return ELLIPSIS + text if keep_end else text + ELLIPSIS


def fit_line(
    text: str, font: Font, *, width: float, size: float, min_size: float, keep_end: bool = False
) -> FittedText:
    """One line at `size`, smaller down to `min_size` when it is too wide, then shortened; `keep_end` drops the start
    instead of the end (a region path, whose last names say the most)."""
    text = _clean(text)
    natural = font.width(text, 1)
    fitted = size if natural == 0 else max(_size_for(width, natural, size), min_size)
    return FittedText((_shorten(text, font, fitted, width, keep_end=keep_end),), fitted)


def fit_title(text: str, font: Font, *, width: float, size: float, two_line_size: float, min_size: float) -> FittedText:
    """As large as the width allows on one line, or on two when that makes it clearly larger; at `min_size` a name
    too long even for two lines loses its end to an ellipsis."""
    text = _clean(text)
    natural = font.width(text, 1)
    if natural == 0:
        return FittedText(("",), size)
    one_line = _size_for(width, natural, size)
    first, second = _split(text, font)
    two_lines = _size_for(width, max(font.width(first, 1), font.width(second, 1)), two_line_size) if second else 0.0
    # Two lines cost height the QR code could use; take them only for a visibly larger name.
    if one_line >= min_size and one_line * 1.15 >= two_lines:
        return FittedText((text,), one_line)
    if two_lines >= min_size:
        return FittedText((first, second), two_lines)
    return fit_block(text, font, width=width, size=min_size, max_lines=2)


def fit_block(text: str, font: Font, *, width: float, size: float, max_lines: int) -> FittedText:
    """Lines filled greedily at a fixed size, the last one shortened when the text needs more than `max_lines`."""
    text = _clean(text)
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        if len(lines) == max_lines - 1 or font.width(rest, size) <= width:
            lines.append(_shorten(rest, font, size, width))
            break
        points = [index for index in _break_points(rest) if font.width(rest[:index], size) <= width]
        cut = points[-1] if points else 1
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return FittedText(tuple(lines), size)
