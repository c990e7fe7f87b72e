"""Spreadsheets in and out: an uploaded CSV (UTF-8 with or without BOM, GBK, UTF-16) or XLSX read into rows of text, and
the template people fill in.

What a file is follows from its bytes, not its name or content type: Excel users rename files, browsers guess types."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.errors import PayloadTooLarge, ValidationFailed
from lianfang.common.forms import BUILTIN_TEMPLATES
from lianfang.registry.imports.columns import COLUMNS, LIMITS, kind_aliases, kinds_hint
from lianfang.registry.models import CheckpointKind

__all__ = [
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "Sheet",
    "SheetRow",
    "read_sheet",
    "template_csv",
    "template_xlsx",
]

MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024
MAX_ROWS: Final = 20_000
# What an XLSX may unpack to: a few megabytes compress to little, so this only stops zip bombs.
_MAX_UNZIPPED_BYTES: Final = 50 * 1024 * 1024

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: the binary formats before Office 2007
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL = {chr(code) for code in range(32)} - {"\t", "\n", "\r"}

_UNREADABLE = "无法识别的文件，请上传 CSV 或 XLSX 格式的表格（可先下载导入模板）"


@dataclass(frozen=True)
class SheetRow:
    # As the spreadsheet program shows it: the first row is 1.
    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    header_row: int
    headers: tuple[str, ...]
    rows: list[SheetRow]


def _file_problem(message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed.field("file", message, code)


def read_sheet(content: bytes) -> Sheet:
    """The header (the first row with anything in it) and the non-blank rows below it, cells as stripped text.
    Raises a 422 on `file` for anything that is not a readable spreadsheet or has more than `MAX_ROWS` rows."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"文件不能超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if not content.strip():
        raise _file_problem("文件是空的", "empty")
    if content.startswith(_OLE2):
        raise _file_problem(
            "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传", "unsupported_type"
        )
    rows = _xlsx_rows(content) if content.startswith(_ZIP) else _csv_rows(_decode(content))
    return _sheet(rows)


def _sheet(rows: Iterable[tuple[int, tuple[str, ...]]]) -> Sheet:
    header: tuple[int, tuple[str, ...]] | None = None
    found: list[SheetRow] = []
    for number, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header = (number, cells)
            continue
        if len(found) == MAX_ROWS:
            raise _file_problem(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件上传", "too_many_rows")
        found.append(SheetRow(number, cells))
    if header is None:
        raise _file_problem("文件是空的", "empty")
    if not found:
        raise _file_problem("表头下面没有卡口，请从第 2 行起每行填写一个卡口", "empty")
    return Sheet(header[0], header[1], found)


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) as Excel's "CSV UTF-8" and most tools write it, UTF-16 as Excel's "Unicode text",
    else GB18030, the superset of the GBK that Excel on Chinese Windows writes by default."""
    if content.startswith(_UTF16_BOMS):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.intersection(text):
            return text
    raise _file_problem(_UNREADABLE, "unsupported_type")


def _csv_rows(text: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # A record is a row even where a quoted cell spans lines, as in a spreadsheet program.
        for number, record in enumerate(reader, start=1):
            yield number, tuple(cell.strip() for cell in record)
    except csv.Error as error:
        raise _file_problem(
            f"CSV 格式有误（第 {reader.line_num} 行附近），请在 Excel 中打开后重新另存为 CSV 再上传"
        ) from error


def _xlsx_rows(content: bytes) -> list[tuple[int, tuple[str, ...]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _file_problem("XLSX 文件已损坏，请重新保存后再上传") from error
    if unzipped > _MAX_UNZIPPED_BYTES:
        raise _file_problem("表格内容过多，请删除多余的工作表、图片或格式后再上传", "too_large")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises whatever its parsers meet in a zip that is not a workbook
        raise _file_problem(_UNREADABLE, "unsupported_type") from error
    try:
        rows: list[tuple[int, tuple[str, ...]]] = []
        # The first sheet holds the checkpoints; the template's second sheet is only help.
        sheet = workbook.worksheets[0]
        # Some programs write a wrong size into the file: read the rows that are there instead.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(_text(value) for value in values)
            if any(cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS + 1:
                    break  # enough for `_sheet` to refuse the file without reading the rest
        return rows
    except Exception as error:
        raise _file_problem("XLSX 文件已损坏，请重新保存后再上传") from error
    finally:
        workbook.close()


def _text(value: object) -> str:
    """A cell's value as the text its column is parsed from: numbers as people typed them (a region code stays 130102,
    not 130102.0), yes/no in Chinese."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


_EXAMPLES = (
    ("石家庄市/长安区/育才街道", "育才小区东门", "小区/社区", "育才街 12 号", "小区门岗", 240, "否", None),
    ("130102", "长安区人民医院门诊楼", "医院", "中山东路 1 号", None, 0, "是", 37.3),
)

_HELP = {
    "region": "地区名称路径，用 / 分隔，如 石家庄市/长安区/育才街道：可从您所辖地区的下级写起，也可从省级写起；"
    "也可填地区编码，如 130102",
    "name": f"同一地区内不能重名，最多 {LIMITS.name_length} 个字",
    "kind": f"可填：{kinds_hint()}，或 小区、社区、市场、村 等简称",
    "address": f"最多 {LIMITS.address_length} 个字，可不填",
    "template": "表单模板名称；不填时医院用「医院」，车辆/班车用「通勤班车」，办公楼用「办公楼访客」，其他用「小区门岗」",
    "temp_valid_minutes": f"在此时间内测过的体温可直接沿用；0 或不填表示每次都要测量，最多 {LIMITS.minutes[1]}",
    "requires_audit": "是 或 否，不填为否；为是时登记需执勤人员审核通过",
    "fever_threshold": f"达到此体温判为异常，{LIMITS.fever[0]} 至 {LIMITS.fever[1]}，不填为 {LIMITS.default_fever}",
}


def template_xlsx() -> bytes:
    """The import template: the header and two example rows on the first sheet, what to write where on the second."""
    workbook = Workbook()
    _fill_checkpoints_sheet(workbook.active)
    _fill_help_sheet(workbook.create_sheet("填写说明"))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _fill_checkpoints_sheet(sheet: Worksheet) -> None:
    sheet.title = "卡口"
    sheet.append([column.header for column in COLUMNS])
    for example in _EXAMPLES:
        sheet.append(list(example))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (28, 24, 12, 24, 14, 18, 10, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    # Text, so that Excel keeps codes like 130102001001 as typed instead of turning them into numbers.
    sheet.column_dimensions["A"].number_format = "@"
    sheet.freeze_panes = "A2"
    # Drop-down lists that still take anything else: short forms like 小区 are fine too.
    for cells, choices in ((f"C2:C{MAX_ROWS + 1}", KIND_LABELS.values()), (f"G2:G{MAX_ROWS + 1}", ("是", "否"))):
        validation = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True)
        validation.showErrorMessage = False
        sheet.add_data_validation(validation)
        validation.add(cells)


def _fill_help_sheet(sheet: Worksheet) -> None:
    sections: list[tuple[list[str], list[list[str]]]] = [
        (
            ["列", "是否必填", "填写说明"],
            [[column.header, "必填" if column.required else "选填", _HELP[column.key]] for column in COLUMNS],
        ),
        (
            ["类型", "英文", "也可填"],
            [[KIND_LABELS[kind.value], kind.value, "、".join(kind_aliases(kind))] for kind in CheckpointKind],
        ),
        (
            ["内置表单模板", "", "所有地区都能使用；也可填写本地区或上级地区建立的模板名称"],
            [[builtin.name] for builtin in BUILTIN_TEMPLATES],
        ),
    ]
    for heading, lines in sections:
        if sheet.max_row > 1:
            sheet.append([])
        sheet.append(heading)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for line in lines:
            sheet.append(line)
    for letter, width in zip("ABC", (20, 12, 90), strict=True):
        sheet.column_dimensions[letter].width = width


def template_csv() -> bytes:
    """The same header and examples as CSV, UTF-8 with a BOM so that Excel opens the Chinese right."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow([column.header for column in COLUMNS])
    for example in _EXAMPLES:
        writer.writerow(["" if value is None else value for value in example])
    return text.getvalue().encode("utf-8-sig")
