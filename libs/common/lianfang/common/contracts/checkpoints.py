"""A checkpoint's resolved config: what the registry writes to Redis on every change and the check-in service reads."""

from __future__ import annotations

from functools import cached_property

from pydantic import BaseModel

from lianfang.common.contracts.events import Ancestry
from lianfang.common.errors import NotFound
from lianfang.common.forms import FormDefinition

__all__ = [
    "DEFAULT_STAY_MINUTES",
    "KIND_LABELS",
    "CheckpointConfig",
    "CheckpointNotFound",
    "CheckpointPosition",
    "RegionStep",
    "config_key",
    "stay_minutes_by_kind",
]

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

# How long a visit lasts when nobody checked out: a gate is passed in minutes, a market browsed for half an hour, a
# hospital visit takes hours, a commuter bus the length of a trip, a school or office day most of a day. Contact
# screening assumes it for stays without a check-out; the check-in page offers 离开 within it.
DEFAULT_STAY_MINUTES: dict[str, int] = {
    "community": 10,
    "market": 30,
    "hospital": 120,
    "vehicle": 60,
    "school": 480,
    "office": 240,
    "station": 30,
    "village": 10,
    "other": 15,
}


def stay_minutes_by_kind(overrides: dict[str, int]) -> dict[str, int]:
    """The assumed stay of every kind, `LIANFANG_STAY_MINUTES` (JSON, kinds left out keep their defaults) applied;
    raises ValueError on an unknown kind or a stay outside 1–1440 minutes."""
    unknown = sorted(set(overrides) - set(KIND_LABELS))
    if unknown:
        raise ValueError(f"unknown checkpoint kinds {unknown}; known: {sorted(KIND_LABELS)}")
    if any(minutes < 1 or minutes > 1440 for minutes in overrides.values()):
        raise ValueError("stay minutes must lie between 1 and 1440")
    return DEFAULT_STAY_MINUTES | overrides


class CheckpointNotFound(NotFound):
    """The registry's answer for a code or id no checkpoint has, and the check-in service's after asking it."""

    code = "checkpoint_not_found"
    title = "卡口不存在"


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

    @cached_property
    def ancestry(self) -> Ancestry:
        """The ids of `regions` by level, as every record of the checkpoint carries them: made once per config."""
        ids = {step.level: step.id for step in self.regions}
        return Ancestry(
            province_id=ids.get("province", self.regions[0].id if self.regions else self.region_id),
            city_id=ids.get("city"),
            county_id=ids.get("county"),
            township_id=ids.get("township"),
            unit_id=ids.get("unit"),
        )


def config_key(code: str) -> str:
    return f"lianfang:checkpoint:{code}"
