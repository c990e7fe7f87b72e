from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from lianfang.common.chinese_font import ChineseFont
from lianfang.registry.posters.pdf import Color, Font, GrayImage, PageContent, PdfWriter
from lianfang.registry.posters.qr import QUIET_ZONE, qr_matrix
from lianfang.registry.posters.textfit import FittedText, fit_block, fit_line, fit_title

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


@dataclass(frozen=True, slots=True)
class _Sheet:
    """Where one poster is drawn: its page, fonts and style, and the column its parts stand in, each drawn from a
    height `y` down, answering the height below it."""

    content: PageContent
    song: Font
    latin: Font
    style: _Style
    left: float
    right: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def cx(self) -> float:
        return (self.left + self.right) / 2

    def title(self, y: float, region: FittedText, name: FittedText, name_pitch: float) -> float:
        """The region in grey, then the checkpoint's name, bold."""
        y -= region.size * 0.88
        self.content.fill_color(_GREY)
        _centred(self.content, self.song, region.size, self.cx, y, region.lines[0])
        y -= region.size * 0.12 + self.style.gap * 0.6
        self.content.fill_color(_INK)
        self.content.stroke_color(_INK)
        for line in name.lines:
            _centred(self.content, self.song, name.size, self.cx, y - name.size * 0.88, line, bold=True)
            y -= name_pitch
        return y - self.style.gap * 0.4

    def kind(self, y: float, kind: FittedText, height: float) -> float:
        """The checkpoint's kind in a red pill."""
        content, cx = self.content, self.cx
        width = self.song.width(kind.lines[0], kind.size) + kind.size * 1.6
        content.stroke_color(_RED)
        content.line_width(max(0.6, kind.size * 0.07))
        content.rounded_rect(cx - width / 2, y - height, width, height, height / 2)
        content.stroke()
        content.fill_color(_RED)
        _centred(content, self.song, kind.size, cx, y - height / 2 - kind.size * 0.36, kind.lines[0])
        return y - height - self.style.gap

    def band(self, y: float, height: float) -> float:
        """扫码登记 in white, letter-spaced, on a red band (the fill colour the pill left)."""
        content, size = self.content, self.style.heading_size
        content.rounded_rect(self.left, y - height, self.width, height, height * 0.18)
        content.fill()
        content.fill_color(_WHITE)
        content.stroke_color(_WHITE)
        spacing = size * 0.35
        heading_width = self.song.width(_HEADING, size) + spacing * (len(_HEADING) - 1)
        baseline = y - height / 2 - size * 0.36
        content.text(self.song, size, self.cx - heading_width / 2, baseline, _HEADING, bold=True, spacing=spacing)
        return y - height

    def code(self, y: float, poster: PosterInfo, qr_size: float, height: float) -> float:
        """The QR code (or the mini-program code), and under it the checkpoint's code to read aloud or type."""
        content, style, cx = self.content, self.style, self.cx
        if poster.wxacode is not None:
            content.image(poster.wxacode, cx - qr_size / 2, y - qr_size, qr_size)
        else:
            _draw_qr(content, poster.qr_url, cx - qr_size / 2, y - qr_size, qr_size)
        y -= qr_size
        label = "登记码"
        label_gap = style.code_label_size * 0.6
        label_width = self.song.width(label, style.code_label_size)
        # Letter-spaced so staff can read it aloud or type it; a code longer than the usual seven characters shrinks.
        room = self.width - label_width - label_gap
        code_size = min(style.code_size, room / (self.latin.width(poster.code, 1) * 1.1 or 1))
        code_spacing = code_size * 0.08
        code_width = self.latin.width(poster.code, code_size) + code_spacing * (len(poster.code) - 1)
        start = cx - (label_width + label_gap + code_width) / 2
        baseline = y - style.code_size * 0.82
        content.fill_color(_GREY)
        content.text(self.song, style.code_label_size, start, baseline, label)
        content.fill_color(_INK)
        content.text(
            self.latin, code_size, start + label_width + label_gap, baseline, poster.code, spacing=code_spacing
        )
        return y - height - style.gap

    def steps(self, y: float, pitch: float) -> float:
        """The three steps, each after its number in a red disc."""
        content, song, latin, size = self.content, self.song, self.latin, self.style.step_size
        radius = size * 0.62
        text_gap = size * 0.55
        steps_left = self.cx - (2 * radius + text_gap + max(song.width(step, size) for step in _STEPS)) / 2
        digit_size = size * 0.78
        for number, step in enumerate(_STEPS, start=1):
            middle = y - pitch / 2
            content.fill_color(_RED)
            content.circle(steps_left + radius, middle, radius)
            content.fill()
            digit = str(number)
            content.fill_color(_WHITE)
            digit_x = steps_left + radius - latin.width(digit, digit_size) / 2
            content.text(latin, digit_size, digit_x, middle - digit_size * 0.36, digit)
            content.fill_color(_INK)
            content.text(song, size, steps_left + 2 * radius + text_gap, middle - size * 0.36, step)
            y -= pitch
        return y

    def notice(self, y: float, notice: FittedText, pitch: float) -> float:
        self.content.fill_color(_RED)
        for line in notice.lines:
            if line:
                _centred(self.content, self.song, notice.size, self.cx, y - pitch * 0.8, line)
                y -= pitch
        return y

    def footer(self, bottom: float, height: float, made_on: date) -> None:
        """A rule, the day the poster was made and the system's name."""
        content, size = self.content, self.style.footer_size
        rule_y = bottom + height - size * 0.6
        content.stroke_color(_RULE)
        content.line_width(0.5)
        content.line(self.left, rule_y, self.right, rule_y)
        content.stroke()
        content.fill_color(_GREY)
        content.text(self.song, size, self.left, bottom, _made_on(made_on))
        content.text(self.song, size, self.right - self.song.width(_SYSTEM_NAME, size), bottom, _SYSTEM_NAME)


def _draw_poster(content: PageContent, poster: PosterInfo, box: _Box, style: _Style, writer: PdfWriter) -> None:
    """From the top: the region, the name, its kind, the heading band; from the bottom: the footer; between them,
    centred, the QR code, its code in text, the steps and the notice, with the QR code taking what is left."""
    sheet = _Sheet(content, writer.song, writer.latin, style, box.x + style.margin, box.x + box.width - style.margin)
    top, bottom = box.y + box.height - style.margin, box.y + style.margin
    song, width, gap = writer.song, sheet.width, style.gap
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

    header_height = region.size + gap * 0.6 + name_pitch * len(name.lines) + gap * 0.4 + kind_height
    middle_fixed = code_height + gap + len(_STEPS) * step_pitch + notice_pitch * notice_lines
    available = top - bottom - header_height - gap - band_height - footer_height - gap * 2
    qr_size = min(style.qr_max, available - middle_fixed - gap)
    slack = max(0.0, available - middle_fixed - gap - qr_size)

    y = sheet.title(top, region, name, name_pitch)
    y = sheet.kind(y, kind, kind_height)
    y = sheet.band(y, band_height)
    y = sheet.code(y - gap - slack / 2, poster, qr_size, code_height)
    y = sheet.steps(y, step_pitch)
    sheet.notice(y, notice, notice_pitch)
    sheet.footer(bottom, footer_height, poster.made_on)


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


def _pages(posters: Iterator[PosterInfo], per_page: int, font: ChineseFont) -> Iterator[bytes]:
    width, height = _A4
    writer = PdfWriter(title="卡口登记二维码", creator=_SYSTEM_NAME, page_size=_A4, chinese=font)
    while group := list(itertools.islice(posters, per_page)):
        content = PageContent()
        if per_page == 1:
            _draw_poster(content, group[0], _Box(0, 0, width, height), _FULL, writer)
        else:
            _draw_cut_lines(content, width, height)
            for poster, box in zip(group, _quarters(width, height), strict=False):
                _draw_poster(content, poster, box, _QUARTER, writer)
        writer.add_page(content)
        if writer.buffered >= _CHUNK_BYTES:
            yield writer.take()
    yield from writer.finish()


def poster_pdf(posters: Iterable[PosterInfo], *, font: ChineseFont, per_page: Literal[1, 4] = 1) -> Iterator[bytes]:
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
    return _pages(itertools.chain((first,), remaining), per_page, font)
