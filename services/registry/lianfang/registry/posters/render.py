from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from lianfang.registry.posters.pdf import Color, Font, GrayImage, PageContent, PdfWriter
from lianfang.registry.posters.qr import QUIET_ZONE, qr_matrix
from lianfang.registry.posters.textfit import fit_block, fit_line, fit_title

__all__ = ["PosterInfo", "poster_pdf"]

_A4 = (595.2756, 841.8898)
_SYSTEM_NAME = "联防联控服务与管理系统"
_HEADING = "扫码登记"
_STEPS = ("微信扫一扫上方二维码", "填写信息与体温", "出示登记结果给工作人员")

# What the router hands over in one piece; a few hundred kilobytes keep the number of writes low without holding
# more than a few dozen pages.
_CHUNK_BYTES = 256 * 1024

_RED = Color(0.78, 0.10, 0.12)
_INK = Color(0.08, 0.08, 0.08)
_GREY = Color(0.38, 0.38, 0.38)
_RULE = Color(0.70, 0.70, 0.70)
_WHITE = Color(1, 1, 1)


@dataclass(frozen=True, slots=True)
class PosterInfo:
    name: str
    region_path: str
    kind_label: str
    code: str
    qr_url: str
    made_on: date
    notice: str | None = None
    # The checkpoint's mini-program code, drawn where the QR code goes (WeChat only, so the poster says so).
    wxacode: GrayImage | None = None


@dataclass(frozen=True, slots=True)
class _Style:
    margin: float
    region_size: float
    name_size: float
    name_two_line_size: float
    name_min_size: float
    kind_size: float
    heading_size: float
    qr_max: float
    code_label_size: float
    code_size: float
    step_size: float
    notice_size: float
    footer_size: float
    gap: float


# One poster on an A4 page, read from a few metres away at a gate.
_FULL = _Style(
    margin=42,
    region_size=15,
    name_size=46,
    name_two_line_size=40,
    name_min_size=24,
    kind_size=14,
    heading_size=32,
    qr_max=390,
    code_label_size=15,
    code_size=26,
    step_size=17,
    notice_size=14,
    footer_size=10,
    gap=12,
)
# A quarter of an A4 page (A6): for a counter, a lift or a bus window; the smallest text stays printable at 7 pt.
_QUARTER = _Style(
    margin=20,
    region_size=9,
    name_size=24,
    name_two_line_size=20,
    name_min_size=12,
    kind_size=8.5,
    heading_size=16,
    qr_max=210,
    code_label_size=8.5,
    code_size=14,
    step_size=9.5,
    notice_size=8,
    footer_size=7,
    gap=6,
)


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float
    width: float
    height: float


def _made_on(day: date) -> str:
    return f"制作日期：{day.year}年{day.month}月{day.day}日"


def _centred(
    content: PageContent, font: Font, size: float, cx: float, y: float, text: str, *, bold: bool = False
) -> None:
    content.text(font, size, cx - font.width(text, size) / 2, y, text, bold=bold)


def _module_rects(matrix: tuple[tuple[bool, ...], ...]) -> list[tuple[int, int, int, int]]:
    """Dark modules as few rectangles (column, row, width, height; row 0 at the top): runs along each row, stacked
    into one rectangle while the rows below repeat them."""
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}
    for row, modules in enumerate(matrix):
        runs: set[tuple[int, int]] = set()
        for dark, group in itertools.groupby(enumerate(modules), key=lambda item: item[1]):
            if dark:
                columns = [column for column, _ in group]
                runs.add((columns[0], columns[-1] + 1))
        for run in list(open_runs):
            if run not in runs:
                start = open_runs.pop(run)
                done.append((run[0], start, run[1] - run[0], row - start))
        for run in runs:
            open_runs.setdefault(run, row)
    done.extend((run[0], start, run[1] - run[0], len(matrix) - start) for run, start in open_runs.items())
    return done


def _draw_qr(content: PageContent, url: str, x: float, y: float, size: float) -> None:
    """The symbol with its quiet zone inside a `size` square whose bottom left corner is (x, y)."""
    matrix = qr_matrix(url)
    count = len(matrix)
    units = count + 2 * QUIET_ZONE
    content.save()
    # Module units: integer coordinates keep the path short, and one path filled once leaves no hairline seams
    # between neighbouring modules in anti-aliasing viewers.
    content.transform(size / units, x, y)
    content.fill_color(_WHITE)
    content.rect(0, 0, units, units)
    content.fill()
    content.fill_color(Color(0, 0, 0))
    top = count + QUIET_ZONE
    content.raw_path(
        " ".join(
            f"{QUIET_ZONE + column} {top - row - height} {width} {height} re"
            for column, row, width, height in _module_rects(matrix)
        )
    )
    content.fill()
    content.restore()


def _draw_poster(content: PageContent, poster: PosterInfo, box: _Box, style: _Style) -> None:
    left, right = box.x + style.margin, box.x + box.width - style.margin
    top, bottom = box.y + box.height - style.margin, box.y + style.margin
    width, cx = right - left, (left + right) / 2
    song, latin = Font.song, Font.latin_bold
    gap = style.gap

    region = fit_line(
        poster.region_path, song, width=width, size=style.region_size, min_size=style.region_size * 0.8, keep_end=True
    )
    name = fit_title(
        poster.name,
        song,
        width=width,
        size=style.name_size,
        two_line_size=style.name_two_line_size,
        min_size=style.name_min_size,
    )
    kind = fit_line(poster.kind_label, song, width=width * 0.6, size=style.kind_size, min_size=style.kind_size)
    notice = fit_block(poster.notice or "", song, width=width, size=style.notice_size, max_lines=2)
    name_pitch = name.size * 1.18
    kind_height = style.kind_size * 1.9
    band_height = style.heading_size * 1.75
    code_height = style.code_size * 1.15
    step_pitch = style.step_size * 1.75
    notice_pitch = style.notice_size * 1.4
    notice_lines = len([line for line in notice.lines if line])
    footer_height = style.footer_size * 2.4

    # From the top: the region, the name, its kind, the heading band; from the bottom: the footer; between them,
    # centred, the QR code, its code in text, the steps and the notice, with the QR code taking what is left.
    header_height = region.size + gap * 0.6 + name_pitch * len(name.lines) + gap * 0.4 + kind_height
    middle_fixed = code_height + gap + len(_STEPS) * step_pitch + notice_pitch * notice_lines
    available = top - bottom - header_height - gap - band_height - footer_height - gap * 2
    qr_size = min(style.qr_max, available - middle_fixed - gap)

    y = top - region.size * 0.88
    content.fill_color(_GREY)
    _centred(content, song, region.size, cx, y, region.lines[0])
    y -= region.size * 0.12 + gap * 0.6
    content.fill_color(_INK)
    content.stroke_color(_INK)
    for line in name.lines:
        _centred(content, song, name.size, cx, y - name.size * 0.88, line, bold=True)
        y -= name_pitch
    y -= gap * 0.4

    kind_width = song.width(kind.lines[0], kind.size) + kind.size * 1.6
    content.stroke_color(_RED)
    content.line_width(max(0.6, kind.size * 0.07))
    content.rounded_rect(cx - kind_width / 2, y - kind_height, kind_width, kind_height, kind_height / 2)
    content.stroke()
    content.fill_color(_RED)
    _centred(content, song, kind.size, cx, y - kind_height / 2 - kind.size * 0.36, kind.lines[0])
    y -= kind_height + gap

    content.rounded_rect(left, y - band_height, width, band_height, band_height * 0.18)
    content.fill()
    content.fill_color(_WHITE)
    content.stroke_color(_WHITE)
    spacing = style.heading_size * 0.35
    heading_width = song.width(_HEADING, style.heading_size) + spacing * (len(_HEADING) - 1)
    content.text(
        song,
        style.heading_size,
        cx - heading_width / 2,
        y - band_height / 2 - style.heading_size * 0.36,
        _HEADING,
        bold=True,
        spacing=spacing,
    )
    y -= band_height

    slack = max(0.0, available - middle_fixed - gap - qr_size)
    y -= gap + slack / 2
    if poster.wxacode is not None:
        content.image(poster.wxacode, cx - qr_size / 2, y - qr_size, qr_size)
    else:
        _draw_qr(content, poster.qr_url, cx - qr_size / 2, y - qr_size, qr_size)
    y -= qr_size

    label = "登记码"
    label_gap = style.code_label_size * 0.6
    label_width = song.width(label, style.code_label_size)
    # Letter-spaced so staff can read it aloud or type it; a code longer than the usual seven characters shrinks.
    code_size = min(style.code_size, (width - label_width - label_gap) / (latin.width(poster.code, 1) * 1.1 or 1))
    code_spacing = code_size * 0.08
    code_width = latin.width(poster.code, code_size) + code_spacing * (len(poster.code) - 1)
    start = cx - (label_width + label_gap + code_width) / 2
    baseline = y - style.code_size * 0.82
    content.fill_color(_GREY)
    content.text(song, style.code_label_size, start, baseline, label)
    content.fill_color(_INK)
    content.text(latin, code_size, start + label_width + label_gap, baseline, poster.code, spacing=code_spacing)
    y -= code_height + gap

    radius = style.step_size * 0.62
    text_gap = style.step_size * 0.55
    steps_width = 2 * radius + text_gap + max(song.width(step, style.step_size) for step in _STEPS)
    steps_left = cx - steps_width / 2
    for number, step in enumerate(_STEPS, start=1):
        middle = y - step_pitch / 2
        content.fill_color(_RED)
        content.circle(steps_left + radius, middle, radius)
        content.fill()
        digit = str(number)
        content.fill_color(_WHITE)
        digit_size = style.step_size * 0.78
        content.text(
            latin,
            digit_size,
            steps_left + radius - latin.width(digit, digit_size) / 2,
            middle - digit_size * 0.36,
            digit,
        )
        content.fill_color(_INK)
        content.text(song, style.step_size, steps_left + 2 * radius + text_gap, middle - style.step_size * 0.36, step)
        y -= step_pitch

    content.fill_color(_RED)
    for line in notice.lines:
        if line:
            _centred(content, song, notice.size, cx, y - notice_pitch * 0.8, line)
            y -= notice_pitch

    rule_y = bottom + footer_height - style.footer_size * 0.6
    content.stroke_color(_RULE)
    content.line_width(0.5)
    content.line(left, rule_y, right, rule_y)
    content.stroke()
    content.fill_color(_GREY)
    content.text(song, style.footer_size, left, bottom, _made_on(poster.made_on))
    content.text(song, style.footer_size, right - song.width(_SYSTEM_NAME, style.footer_size), bottom, _SYSTEM_NAME)


def _draw_cut_lines(content: PageContent, width: float, height: float) -> None:
    content.stroke_color(_RULE)
    content.line_width(0.5)
    content.dash(4, 3)
    content.line(width / 2, 0, width / 2, height)
    content.line(0, height / 2, width, height / 2)
    content.stroke()
    content.solid()


def _quarters(width: float, height: float) -> tuple[_Box, _Box, _Box, _Box]:
    half_width, half_height = width / 2, height / 2
    return (
        _Box(0, half_height, half_width, half_height),
        _Box(half_width, half_height, half_width, half_height),
        _Box(0, 0, half_width, half_height),
        _Box(half_width, 0, half_width, half_height),
    )


def _pages(posters: Iterator[PosterInfo], per_page: int) -> Iterator[bytes]:
    width, height = _A4
    writer = PdfWriter(title="卡口登记二维码", creator=_SYSTEM_NAME, page_size=_A4)
    while group := list(itertools.islice(posters, per_page)):
        content = PageContent()
        if per_page == 1:
            _draw_poster(content, group[0], _Box(0, 0, width, height), _FULL)
        else:
            _draw_cut_lines(content, width, height)
            for poster, box in zip(group, _quarters(width, height), strict=False):
                _draw_poster(content, poster, box, _QUARTER)
        writer.add_page(content)
        if writer.buffered >= _CHUNK_BYTES:
            yield writer.take()
    yield from writer.finish()


def poster_pdf(posters: Iterable[PosterInfo], *, per_page: Literal[1, 4] = 1) -> Iterator[bytes]:
    """An A4 PDF in chunks: one poster a page, or four a page on a 2×2 grid with cut lines.

    `posters` is read as the pages are drawn, so a generator keeps memory flat however many there are. Checks happen
    before the first chunk, while a response can still become an error: no posters at all raise ValueError. The
    drawing is CPU work; Starlette's StreamingResponse runs a plain iterator like this one in its thread pool."""
    if per_page not in (1, 4):
        raise ValueError(f"per_page must be 1 or 4, not {per_page}")
    remaining = iter(posters)
    first = next(remaining, None)
    if first is None:
        raise ValueError("no posters to render")
    return _pages(itertools.chain((first,), remaining), per_page)
