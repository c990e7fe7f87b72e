from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.downloads import attachment
from lianfang.trace.export.service import Exports, ExportService
from lianfang.trace.export.sheets import ExportFormat
from lianfang.trace.params import Reason
from lianfang.trace.records.router import Search
from lianfang.trace.records.service import RecordSearch

__all__ = ["router"]

router = APIRouter(prefix=TRACE, tags=["登记记录"])


def _file(format: ExportFormat) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {format.media_type.split(";")[0]: {}}, "description": "登记记录表"}}


async def _export(
    exports: ExportService, format: ExportFormat, search: RecordSearch, full: bool, reason: str | None
) -> StreamingResponse:
    export = await exports.export(search, format=format, full=full, reason=reason)
    return StreamingResponse(
        export.content, media_type=export.media_type, headers=attachment(export.filename, f"records.{format.value}")
    )


_Full = Annotated[bool, Query(description="导出完整的姓名、手机号、身份证号（须填写事由 reason，记入访问日志）")]


_ERRORS = error_responses(Forbidden, ValidationFailed, ServiceUnavailable)


@router.get("/export.csv", response_class=StreamingResponse, responses=_file(ExportFormat.csv) | _ERRORS)
async def export_csv(exports: Exports, search: Search, full: _Full = False, reason: Reason = None) -> StreamingResponse:
    """The records filter (`GET /api/trace/records`, without paging) as CSV in UTF-8 with a BOM, newest first, with
    Chinese headers and the names of checkpoints and regions; personal data masked unless `full=true` with a `reason`.
    Every export is written to the access log (the query, never the rows); at most `LIANFANG_EXPORT_MAX_ROWS`
    (1,000,000) rows, the last line saying when more were left out."""
    return await _export(exports, ExportFormat.csv, search, full, reason)


@router.get("/export.xlsx", response_class=StreamingResponse, responses=_file(ExportFormat.xlsx) | _ERRORS)
async def export_xlsx(
    exports: Exports, search: Search, full: _Full = False, reason: Reason = None
) -> StreamingResponse:
    """The same as `export.csv`, as an Excel workbook (one sheet; times as Excel times in Beijing time). The workbook is
    built before its first byte is sent: a large one takes a while to start."""
    return await _export(exports, ExportFormat.xlsx, search, full, reason)
