from __future__ import annotations

from lianfang.common.errors import ValidationFailed

__all__ = ["ImportRejected"]


class ImportRejected(ValidationFailed):
    """A real import with bad rows: nothing is created, `errors` lists each problem with its `row` and column."""

    code = "import_rejected"
    title = "导入的表格有误，未导入任何卡口"
