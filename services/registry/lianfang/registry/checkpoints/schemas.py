from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

from lianfang.common.contracts.checkpoints import KIND_LABELS
from lianfang.common.db import RowId
from lianfang.common.validators import PlainText
from lianfang.registry.models import Checkpoint, CheckpointKind, RemovedCheckpoint

__all__ = [
    "DEFAULT_RADIUS_M",
    "MAX_BULK",
    "BulkAction",
    "CheckpointBulk",
    "CheckpointBulkResult",
    "CheckpointCreate",
    "CheckpointName",
    "CheckpointNames",
    "CheckpointOut",
    "CheckpointPage",
    "CheckpointPositionIn",
    "CheckpointSelection",
    "CheckpointUpdate",
]

# Checkpoints one bulk call acts on: a page of the list at its largest, several times over.
MAX_BULK = 1000


# A gate, a shop front: a phone's position indoors is often off by a hundred metres or two.
DEFAULT_RADIUS_M = 300
Latitude = Annotated[float, Field(ge=-90, le=90, description="纬度（GCJ-02，与微信定位一致）")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="经度（GCJ-02）")]
Radius = Annotated[int, Field(ge=10, le=50_000, description="现场范围半径（米）：在此之外的登记会提示工作人员")]


class CheckpointCreate(BaseModel):
    region_id: RowId
    name: PlainText = Field(min_length=1, max_length=64)
    kind: CheckpointKind
    address: PlainText | None = Field(default=None, max_length=200)
    template_id: RowId
    temp_valid_minutes: int = Field(default=0, ge=0, le=10_080, description="体温有效期（分钟），0 表示每次都要测量")
    requires_audit: bool = False
    fever_threshold: float = Field(default=37.3, ge=36.0, le=40.0, description="发热判定体温（℃）")
    active: bool = True
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    radius_m: Radius = DEFAULT_RADIUS_M

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("经度和纬度须同时填写")
        return self


class CheckpointUpdate(BaseModel):
    name: PlainText | None = Field(default=None, min_length=1, max_length=64)
    kind: CheckpointKind | None = None
    address: PlainText | None = Field(default=None, max_length=200)
    template_id: RowId | None = Field(default=None, description="换用另一个模板（其最新版本）")
    template_version: int | None = Field(default=None, description="换用当前模板的某个版本，如最新版")
    temp_valid_minutes: int | None = Field(default=None, ge=0, le=10_080)
    requires_audit: bool | None = None
    fever_threshold: float | None = Field(default=None, ge=36.0, le=40.0)
    active: bool | None = None
    # Both, or both null to forget the position.
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    radius_m: Radius | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if ("latitude" in self.model_fields_set) != ("longitude" in self.model_fields_set) or (
            (self.latitude is None) != (self.longitude is None)
        ):
            raise ValueError("经度和纬度须同时填写")
        return self


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
    latitude: float | None
    longitude: float | None
    radius_m: int | None
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

    @classmethod
    def of(cls, checkpoint: Checkpoint | RemovedCheckpoint, region_name: str) -> CheckpointName:
        return cls(
            id=checkpoint.id,
            name=checkpoint.name,
            kind=checkpoint.kind,
            kind_label=KIND_LABELS[checkpoint.kind.value],
            region_id=checkpoint.region_id,
            region_name=region_name,
            removed=isinstance(checkpoint, RemovedCheckpoint),
        )


class CheckpointNames(BaseModel):
    items: list[CheckpointName]


class CheckpointPositionIn(BaseModel):
    """ "设为卡口位置": where the gate keeper stands, as their phone locates them."""

    latitude: Latitude
    longitude: Longitude
    accuracy: float | None = Field(default=None, ge=0, le=100_000, description="定位精度（米）")
