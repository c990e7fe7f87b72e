from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from lianfang.common.forms import FormField

__all__ = ["CheckpointInfo", "CheckpointPage", "FormOut", "LastTemperature", "Notice", "TemperatureState"]


class CheckpointInfo(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    region_names: list[str]
    address: str | None
    active: bool
    requires_audit: bool
    temp_valid_minutes: int
    fever_threshold: float


class FormOut(BaseModel):
    template_id: int
    template_version: int
    fields: tuple[FormField, ...]


class LastTemperature(BaseModel):
    value: float
    measured_at: datetime
    valid_until: datetime


class TemperatureState(BaseModel):
    """`required` unless the caller's last measurement, at any checkpoint, is still valid here: then `last` is it."""

    required: bool
    last: LastTemperature | None = None


class Notice(BaseModel):
    code: Literal["checkpoint_closed", "recent_fever"]
    level: Literal["warning", "error"]
    message: str


class CheckpointPage(BaseModel):
    checkpoint: CheckpointInfo
    form: FormOut
    # The caller's last answer per field key of this form (any checkpoint, any form), checked against it.
    prefill: dict[str, Any]
    # The companions the caller checked in last time, each answer checked against this form.
    companions: list[dict[str, Any]]
    temperature: TemperatureState
    notices: list[Notice]
