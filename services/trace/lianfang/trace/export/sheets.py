"""Export rows as a spreadsheet: CSV (UTF-8 with a BOM, so that Excel reads Chinese) produced chunk by chunk, or XLSX
through openpyxl's write-only mode, which writes each row to a temporary file as it comes (strings inline, so nothing
grows with the row count), then streamed from that file."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

__all__ = ["HEADERS", "Cell", "ExportFormat", "spreadsheet"]

Cell = str | float | datetime | None

HEADERS: Final = (
    "登记时间",
    "姓名",
    "手机号",
    "身份证号",
    "卡口",
    "卡口类型",
    "所属地区",
    "体温（℃）",
    "体温来源",
    "进出",
    "状态",
    "同行人员",
    "记录编号",
)
# Column widths in characters, in the order of HEADERS.
_WIDTHS: Final = (20, 10, 14, 20, 24, 10, 16, 10, 8, 6, 10, 8, 38)
# The columns of form answers that follow.
_ANSWER_WIDTH: Final = 16
_TIME_FORMAT: Final = "yyyy-mm-dd hh:mm:ss"
_READ_BYTES: Final = 1 << 20
# Spreadsheets run text starting with these as a formula (OWASP "CSV injection"): a leading apostrophe keeps it text.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


# What `_text` drops (a line break stays: an address may have one): what `lianfang.common.validators` refuses at input.
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.csv:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: Cell) -> Cell:
    """Text as a spreadsheet may hold it: without control and invisible characters (openpyxl refuses the whole file
    for one, and U+202E would reverse what a reader sees; names stored before they were refused may hold them), and
    never run as a formula."""
    if not isinstance(value, str):
        return value
    if not value.isprintable():  # a quick test in C, true of nearly every value (spaces other than " " fail it too)
        value = "".join(char for char in value if unicodedata.category(char) not in _INVISIBLE or char in "\n")
    if value.startswith(_FORMULA_START):
        return f"'{value}"
    return value


def _csv_value(value: Cell) -> str | float:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def _csv(rows: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_csv_value(_text(value)) for value in row] for row in rows)
    return buffer.getvalue().encode()


async def _csv_file(chunks: AsyncIterator[Sequence[Sequence[Cell]]], headers: Sequence[str]) -> AsyncIterator[bytes]:
    yield "\ufeff".encode() + _csv([headers])
    async for rows in chunks:
        yield _csv(rows)


class _Sheet:
    def __init__(self, headers: Sequence[str]) -> None:
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet("登记记录")
        widths = [*_WIDTHS, *[_ANSWER_WIDTH] * (len(headers) - len(_WIDTHS))]
        for index, width in enumerate(widths):
            self.sheet.column_dimensions[get_column_letter(index + 1)].width = width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        self.sheet.append([self._cell(header, font=bold) for header in headers])

    def _cell(self, value: Cell, **style: Any) -> Any:
        cell = WriteOnlyCell(self.sheet, value=value)
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    def append(self, rows: Sequence[Sequence[Cell]]) -> None:
        for row in rows:
            # Excel keeps no time zones: times are written as the Shanghai wall-clock time they were shown in.
            self.sheet.append(
                [
                    self._cell(value.replace(tzinfo=None), number_format=_TIME_FORMAT)
                    if isinstance(value, datetime)
                    else _text(value)
                    for value in row
                ]
            )


async def _xlsx_file(chunks: AsyncIterator[Sequence[Sequence[Cell]]], headers: Sequence[str]) -> AsyncIterator[bytes]:
    # openpyxl is synchronous CPU work: each chunk runs in a worker thread, so the event loop keeps serving others.
    sheet = await asyncio.to_thread(_Sheet, headers)
    async for rows in chunks:
        await asyncio.to_thread(sheet.append, rows)
    with tempfile.TemporaryFile() as file:
        await asyncio.to_thread(sheet.workbook.save, file)
        await asyncio.to_thread(file.seek, 0)
        while block := await asyncio.to_thread(file.read, _READ_BYTES):
            yield block


def spreadsheet(
    format: ExportFormat, chunks: AsyncIterator[Sequence[Sequence[Cell]]], answer_headers: Sequence[str] = ()
) -> AsyncIterator[bytes]:
    """The file's bytes as they become ready; `chunks` are rows in the order of HEADERS, then of `answer_headers`."""
    headers = [*HEADERS, *answer_headers]
    return _csv_file(chunks, headers) if format is ExportFormat.csv else _xlsx_file(chunks, headers)
