from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from lianfang.common.db import RowId
from lianfang.common.forms import FormField
from lianfang.common.validators import PlainText

__all__ = ["TemplateCreate", "TemplateOut", "TemplatePage", "TemplateUpdate"]


class TemplateCreate(BaseModel):
    name: PlainText = Field(min_length=1, max_length=64)
    # Checked by `FormDefinition.from_fields`, which names each bad attribute (`fields.2.options`).
    fields: list[dict[str, Any]]
    region_id: RowId | None = Field(default=None, description="默认为当前管理员所属地区")


class TemplateUpdate(BaseModel):
    name: PlainText | None = Field(default=None, min_length=1, max_length=64)
    fields: list[dict[str, Any]] | None = Field(default=None, description="给出时保存为新版本")


class TemplateOut(BaseModel):
    id: int
    name: str
    region_id: int
    region_path: str
    builtin: str | None
    version: int
    versions: list[int]
    fields: list[FormField]
    editable: bool = Field(description="当前管理员能否修改（模板属于其管辖范围）")
    created_at: datetime
    updated_at: datetime


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None
