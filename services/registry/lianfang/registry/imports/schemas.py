from __future__ import annotations

from pydantic import BaseModel, Field

from lianfang.common.errors import FieldError

__all__ = ["ImportResult"]


class ImportResult(BaseModel):
    created: int = Field(description="导入的卡口数；试导入时为将要导入的数目；有错误时为 0")
    dry_run: bool
    errors: list[FieldError] = Field(
        description="每处错误一项：row 为表格中的行号（表头为第 1 行），field 为列（region、name 等），message 为说明"
    )
    error_count: int = Field(description="错误总数；errors 最多列出前 1000 处")
    regions_created: int = Field(description="新建的地区数（create_regions=true 时）；试导入时为将要新建的数目")
    rows: int = Field(description="表头以下非空的行数")
