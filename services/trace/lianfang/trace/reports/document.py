"""The printed 流调报告: A4, Chinese, a title, what it is about, tables of what was found, and on every page a footer
saying it is for epidemic control only with its page number. Drawn with reportlab's platypus in the shared Chinese
font (`lianfang.common.chinese_font`), embedded as a subset."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from lianfang.common.chinese_font import ChineseFont

__all__ = ["RED", "Cell", "ReportDocument"]

SYSTEM_NAME = "联防联控服务与管理系统"
FOOTER = "本报告仅供疫情防控使用，请妥善保管，不得用于其他用途或对外传播"

_INK = colors.HexColor("#1f2329")
_GREY = colors.HexColor("#646a73")
_RULE = colors.HexColor("#c9cdd4")
_HEAD = colors.HexColor("#f2f3f5")
_MARGIN = 16 * mm
# Text that needs attention: a fever, an abnormal status.
RED = "#c62828"

# A table cell: text, or text and its colour.
Cell = str | tuple[str, str]


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    cell: ParagraphStyle
    label: ParagraphStyle

    @classmethod
    def of(cls, font: str) -> _Styles:
        body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, textColor=_INK, wordWrap="CJK")
        return cls(
            title=ParagraphStyle("title", parent=body, fontSize=22, leading=28, alignment=TA_CENTER),
            subtitle=ParagraphStyle("subtitle", parent=body, fontSize=13, leading=18, alignment=TA_CENTER),
            heading=ParagraphStyle("heading", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4),
            body=body,
            cell=ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11),
            label=ParagraphStyle("label", parent=body, textColor=_GREY),
        )


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ReportDocument:
    """One report: flowables are added in reading order, then `pdf()` lays them out on A4 pages."""

    def __init__(self, font: ChineseFont, *, title: str, subtitle: str) -> None:
        self.font = font
        self.title = title
        self.styles = _Styles.of(font.name)
        self._story: list[Flowable] = [
            Paragraph(_escaped(title), self.styles.title),
            Paragraph(_escaped(subtitle), self.styles.subtitle),
            Spacer(0, 5 * mm),
        ]

    @property
    def _width(self) -> float:
        return float(A4[0] - 2 * _MARGIN)

    def facts(self, pairs: Sequence[tuple[str, str]]) -> None:
        """What the report is about, one labelled line each."""
        rows = [[Paragraph(_escaped(label), self.styles.label), self._paragraph(value)] for label, value in pairs]
        table = Table(rows, colWidths=[24 * mm, self._width - 24 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, _RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        self._story += [table, Spacer(0, 4 * mm)]

    def heading(self, text: str) -> None:
        self._story.append(Paragraph(_escaped(text), self.styles.heading))

    def note(self, text: str) -> None:
        self._story.append(Paragraph(_escaped(text), self.styles.label))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[float]) -> None:
        """A table whose header repeats on every page; `widths` are fractions of the text width."""
        data = [[self._paragraph(header) for header in headers]]
        data += [[self._paragraph(cell, small=True) for cell in row] for row in rows]
        table = Table(data, colWidths=[self._width * part for part in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), _HEAD),
                    ("GRID", (0, 0), (-1, -1), 0.4, _RULE),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ]
            )
        )
        self._story.append(table)

    def pdf(self) -> bytes:
        out = io.BytesIO()
        template = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_MARGIN + 6 * mm,
            title=self.title,
            creator=SYSTEM_NAME,
        )
        font = self.font.name

        class _NumberedCanvas(_PageNumbers):
            font_name = font

        template.build(list(self._story), canvasmaker=_NumberedCanvas)
        return out.getvalue()

    def _paragraph(self, cell: Cell, *, small: bool = False) -> Paragraph:
        style = self.styles.cell if small else self.styles.body
        if isinstance(cell, tuple):
            text, color = cell
            return Paragraph(f'<font color="{color}">{_escaped(text)}</font>', style)
        return Paragraph(_escaped(cell), style)


class _PageNumbers(Canvas):  # type: ignore[misc]
    """Holds each page until the last is drawn, so every footer can say 第 N 页 / 共 M 页."""

    font_name = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        width = A4[0]
        y = _MARGIN - 2 * mm
        self.setStrokeColor(_RULE)
        self.setLineWidth(0.5)
        self.line(_MARGIN, y + 4 * mm, width - _MARGIN, y + 4 * mm)
        self.setFillColor(_GREY)
        self.setFont(self.font_name, 8)
        self.drawString(_MARGIN, y, FOOTER)
        self.drawRightString(width - _MARGIN, y, f"第 {number} 页 / 共 {total} 页")
