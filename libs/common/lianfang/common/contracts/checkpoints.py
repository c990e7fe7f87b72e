"""A checkpoint's resolved config: what the registry writes to Redis on every change and the check-in service reads."""

from __future__ import annotations

from pydantic import BaseModel

from lianfang.common.forms import FormDefinition

__all__ = ["KIND_LABELS", "CheckpointConfig", "CheckpointPosition", "RegionStep", "config_key"]

KIND_LABELS = {
    "community": "小区/社区",
    "hospital": "医院",
    "market": "商超/市场",
    "office": "办公楼",
    "vehicle": "车辆/班车",
    "school": "学校",
    "station": "车站",
    "village": "村庄",
    "other": "其他",
}


class RegionStep(BaseModel):
    id: int
    name: str
    level: str


class CheckpointPosition(BaseModel):
    """Where a checkpoint stands (GCJ-02) and the radius within which a check-in counts as made on the spot."""

    latitude: float
    longitude: float
    radius_m: int


class CheckpointConfig(BaseModel):
    schema_version: int = 1
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    address: str | None
    active: bool
    region_id: int
    region_path: str
    city_code: str
    # From the root down to the checkpoint's own region: names for display, ids for the records' ancestry columns.
    regions: list[RegionStep]
    temp_valid_minutes: int
    requires_audit: bool
    fever_threshold: float
    template_id: int
    template_version: int
    form: FormDefinition
    # Optional within schema version 1: configs written before positions existed have none.
    position: CheckpointPosition | None = None


def config_key(code: str) -> str:
    return f"lianfang:checkpoint:{code}"
