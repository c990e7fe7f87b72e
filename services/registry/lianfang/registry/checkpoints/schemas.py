from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lianfang.common.validators import PlainText
from lianfang.registry.models import CheckpointKind

__all__ = ["CheckpointCreate", "CheckpointOut", "CheckpointPage", "CheckpointUpdate"]


class CheckpointCreate(BaseModel):
    region_id: int
    name: PlainText = Field(min_length=1, max_length=64)
    kind: CheckpointKind
    address: PlainText | None = Field(default=None, max_length=200)
    template_id: int
    temp_valid_minutes: int = Field(default=0, ge=0, le=10_080, description="体温有效期（分钟），0 表示每次都要测量")
    requires_audit: bool = False
    fever_threshold: float = Field(default=37.3, ge=36.0, le=40.0, description="发热判定体温（℃）")
    active: bool = True


class CheckpointUpdate(BaseModel):
    name: PlainText | None = Field(default=None, min_length=1, max_length=64)
    kind: CheckpointKind | None = None
    address: PlainText | None = Field(default=None, max_length=200)
    template_id: int | None = Field(default=None, description="换用另一个模板（其最新版本）")
    template_version: int | None = Field(default=None, description="换用当前模板的某个版本，如最新版")
    temp_valid_minutes: int | None = Field(default=None, ge=0, le=10_080)
    requires_audit: bool | None = None
    fever_threshold: float | None = Field(default=None, ge=36.0, le=40.0)
    active: bool | None = None


class CheckpointOut(BaseModel):
    id: int
    code: str
    qr_url: str
    region_id: int
    region_path: str
    region_name: str
    city_code: str
    name: str
    kind: CheckpointKind
    kind_label: str
    address: str | None
    template_id: int
    template_name: str
    template_version: int
    template_latest_version: int
    temp_valid_minutes: int
    requires_audit: bool
    fever_threshold: float
    active: bool
    created_at: datetime
    updated_at: datetime


class CheckpointPage(BaseModel):
    items: list[CheckpointOut]
    next_cursor: str | None
