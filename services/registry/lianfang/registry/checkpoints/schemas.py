from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from lianfang.common.validators import PlainText
from lianfang.registry.models import CheckpointKind

__all__ = [
    "MAX_BULK",
    "BulkAction",
    "CheckpointBulk",
    "CheckpointBulkResult",
    "CheckpointCreate",
    "CheckpointName",
    "CheckpointNames",
    "CheckpointOut",
    "CheckpointPage",
    "CheckpointSelection",
    "CheckpointUpdate",
]

# Checkpoints one bulk call acts on: a page of the list at its largest, several times over.
MAX_BULK = 1000


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


class BulkAction(StrEnum):
    activate = "activate"
    deactivate = "deactivate"
    delete = "delete"


class CheckpointSelection(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_BULK, description="所选卡口；须都在本人管辖范围内")


class CheckpointBulk(CheckpointSelection):
    action: BulkAction = Field(description="activate 启用 · deactivate 停用 · delete 删除（登记记录保留）")


class CheckpointBulkResult(BaseModel):
    action: BulkAction
    count: int = Field(description="实际改变的卡口数（已是该状态的不计）")


class CheckpointName(BaseModel):
    """How trace names a checkpoint in its records, a deleted one too."""

    id: int
    name: str
    kind: CheckpointKind
    kind_label: str
    region_id: int
    region_name: str
    removed: bool = Field(description="卡口已删除（其登记记录仍保留）")


class CheckpointNames(BaseModel):
    items: list[CheckpointName]
