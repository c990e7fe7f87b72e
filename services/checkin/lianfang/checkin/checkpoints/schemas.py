from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from lianfang.common.forms import FormField

__all__ = [
    "CheckpointInfo",
    "CheckpointPage",
    "CurrentStay",
    "FormOut",
    "LastTemperature",
    "Notice",
    "TemperatureState",
]


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


class CurrentStay(BaseModel):
    """The caller checked in here within the checkpoint kind's assumed stay: the page offers 离开 first."""

    entry_id: uuid.UUID
    checked_at: datetime
    until: datetime
    # The resident's masked name, then their companions'.
    names_masked: list[str | None]


class CheckpointPage(BaseModel):
    checkpoint: CheckpointInfo
    form: FormOut
    # The caller's last answer per field key of this form (any checkpoint, any form), checked against it.
    prefill: dict[str, Any]
    # The companions the caller checked in last time, each answer checked against this form.
    companions: list[dict[str, Any]]
    temperature: TemperatureState
    notices: list[Notice]
    stay: CurrentStay | None = None
