"""A check-in as a `records` row: the tables the worker writes and the row an event becomes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, Table

from lianfang.common.contracts.events import CheckinCreated
from lianfang.common.contracts.records import RecordsBase

__all__ = [
    "KEYS",
    "NOT_NULL",
    "PENDING",
    "RECORDS",
    "RECORD_COLUMNS",
    "REMEASURE_COLUMNS",
    "RecordKey",
    "RecordRow",
    "oversized",
    "record_row",
]

RECORDS: Table = RecordsBase.metadata.tables["records"]
KEYS: Table = RecordsBase.metadata.tables["checkin_keys"]
PENDING: Table = RecordsBase.metadata.tables["pending_decisions"]

# A `records` row as Core inserts it; every row of a batch has every column, as one multi-row INSERT needs.
RecordRow = dict[str, Any]
RecordKey = tuple[str, uuid.UUID]  # (city_code, record id)

RECORD_COLUMNS = [column.name for column in RECORDS.columns]
NOT_NULL = {column.name for column in RECORDS.columns if not column.nullable}
REMEASURE_COLUMNS = ("remeasured_temperature", "remeasured_by", "remeasured_by_name", "remeasured_at")
_REMEASURE_NONE = dict.fromkeys(REMEASURE_COLUMNS)
_LIMITED_COLUMNS = [
    (column.name, column.type.length)
    for column in RECORDS.columns
    if isinstance(column.type, String) and column.type.length is not None
]


def record_row(event: CheckinCreated) -> RecordRow:
    ancestry, person = event.ancestry, event.person
    return {
        "id": event.id,
        "city_code": event.city_code,
        "checked_at": event.checked_at,
        "client_key": event.client_key,
        "province_id": ancestry.province_id,
        "city_id": ancestry.city_id,
        "county_id": ancestry.county_id,
        "township_id": ancestry.township_id,
        "unit_id": ancestry.unit_id,
        "region_id": event.region_id,
        "checkpoint_id": event.checkpoint_id,
        "checkpoint_kind": event.checkpoint_kind,
        "resident_id": event.resident_id,
        "companion_of": event.companion_of,
        "entered_by": event.entered_by,
        "name_encrypted": person.name_encrypted,
        "name_hash": person.name_hash,
        "name_masked": person.name_masked,
        "phone_encrypted": person.phone_encrypted,
        "phone_hash": person.phone_hash,
        "phone_masked": person.phone_masked,
        "id_card_encrypted": person.id_card_encrypted,
        "id_card_hash": person.id_card_hash,
        "id_card_masked": person.id_card_masked,
        "answers_encrypted": event.answers_encrypted,
        "template_id": event.template_id,
        "template_version": event.template_version,
        # One decimal, as the column keeps it on MariaDB; SQLite would keep whatever float it is given.
        "temperature": None if event.temperature is None else round(event.temperature, 1),
        "temperature_source": None if event.temperature_source is None else event.temperature_source.value,
        "temperature_measured_at": event.temperature_measured_at,
        "direction": event.direction.value,
        "status": event.status.value,
        "distance_m": event.distance_m,
        "outside_radius": event.outside_radius,
        "distance_accuracy_m": event.distance_accuracy_m,
        "remote_scan": event.remote_scan,
        "remind_checkout": event.remind_checkout,
        "decided_by": None,
        "decided_at": None,
        "decision_reason": None,
        **_REMEASURE_NONE,
        "stored_at": None,
    }


def oversized(row: Mapping[str, Any]) -> list[str]:
    """The columns whose value is longer than the column: MySQL refuses them and SQLite would keep them, so the worker
    refuses them on both."""
    return [
        f"{name} is longer than {length}"
        for name, length in _LIMITED_COLUMNS
        if (value := row.get(name)) is not None and len(value) > length
    ]
