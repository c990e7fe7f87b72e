"""The records store: written by the ingest worker alone, read by trace. Its Alembic history lives with the worker.

Rules of DESIGN.md (Data) that keep it shardable by MyCat, Vitess or ShardingSphere: every table carries the shard key
`city_code`; every unique key includes it (and, for the monthly partitions on MySQL, `checked_at`); ids are UUIDv7 made by
the application; no auto-increment; no joins across sharded tables (records name their checkpoint and regions by id, the
names live in the registry).

`record_hours` and `record_days` are the records counted per checkpoint, UTC hour and Asia/Shanghai day, kept by the
worker in the transaction that stores or decides the records (`lianfang.common.contracts.rollups` says how each row
follows from `records`): statistics read a city's month from about 856 × 30 rows instead of millions of records.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, Numeric, PrimaryKeyConstraint, String, Text, Uuid, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lianfang.common.db import UTCDateTime, new_metadata, utcnow

__all__ = ["ROLLUP_COUNTS", "CheckinKey", "PendingDecision", "Record", "RecordDay", "RecordHour", "RecordsBase"]


class RecordsBase(DeclarativeBase):
    metadata = new_metadata()


class _Remeasured:
    """The fever taken again by a gate keeper (`events.Remeasure`): a record's `temperature` stays the first reading,
    this one decided the status. The latest re-measure is kept."""

    remeasured_temperature: Mapped[float | None] = mapped_column(Numeric(4, 1, asdecimal=False))
    remeasured_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    remeasured_by_name: Mapped[str | None] = mapped_column(String(64))
    remeasured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Record(_Remeasured, RecordsBase):
    """One person passing one checkpoint once. Region ancestry is denormalised so any level of the tree pages its records
    newest first from one index."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_province_time", "province_id", "checked_at"),
        Index("ix_records_city_time", "city_id", "checked_at"),
        Index("ix_records_county_time", "county_id", "checked_at"),
        Index("ix_records_township_time", "township_id", "checked_at"),
        Index("ix_records_unit_time", "unit_id", "checked_at"),
        Index("ix_records_checkpoint_time", "checkpoint_id", "checked_at"),
        Index("ix_records_resident_time", "resident_id", "checked_at"),
        Index("ix_records_phone_time", "phone_hash", "checked_at"),
        Index("ix_records_id_card_time", "id_card_hash", "checked_at"),
        Index("ix_records_name_time", "name_hash", "checked_at"),
    )

    # The primary key leads with the id (decisions find their record by it) and holds the shard and partition keys.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    client_key: Mapped[uuid.UUID] = mapped_column(Uuid)
    province_id: Mapped[int] = mapped_column(Integer)
    city_id: Mapped[int | None] = mapped_column(Integer)
    county_id: Mapped[int | None] = mapped_column(Integer)
    township_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    region_id: Mapped[int] = mapped_column(Integer)
    checkpoint_id: Mapped[int] = mapped_column(Integer)
    checkpoint_kind: Mapped[str] = mapped_column(String(16))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    companion_of: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    entered_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name_encrypted: Mapped[str | None] = mapped_column(String(255))
    name_hash: Mapped[str | None] = mapped_column(String(64))
    name_masked: Mapped[str | None] = mapped_column(String(64))
    phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    id_card_encrypted: Mapped[str | None] = mapped_column(String(255))
    id_card_hash: Mapped[str | None] = mapped_column(String(64))
    id_card_masked: Mapped[str | None] = mapped_column(String(24))
    answers_encrypted: Mapped[str] = mapped_column(Text)
    template_id: Mapped[int] = mapped_column(Integer)
    template_version: Mapped[int] = mapped_column(Integer)
    # A one-decimal reading: a float column would give back 37.29999 for 37.3.
    temperature: Mapped[float | None] = mapped_column(Numeric(4, 1, asdecimal=False))
    temperature_source: Mapped[str | None] = mapped_column(String(16))
    temperature_measured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    # How far from the checkpoint the resident was, when they shared their position (never the position itself).
    distance_m: Mapped[int | None] = mapped_column(Integer)
    outside_radius: Mapped[bool | None] = mapped_column(Boolean)
    distance_accuracy_m: Mapped[int | None] = mapped_column(Integer)
    # The code was read from a picture (an album, a chat), not scanned at the gate.
    remote_scan: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # The resident subscribed to a 离开提醒 when checking in (`events.CheckinCreated.remind_checkout`).
    remind_checkout: Mapped[bool] = mapped_column(Boolean, server_default=false())
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckinKey(RecordsBase):
    """One row per stored check-in by its client key: the same check-in retried (while Redis, which normally answers
    retries, was down) is stored once. Not partitioned, so the key alone can be unique."""

    __tablename__ = "checkin_keys"

    city_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    client_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PendingDecision(_Remeasured, RecordsBase):
    """A decision that arrived before its record: applied, then deleted, when the record is stored."""

    __tablename__ = "pending_decisions"

    city_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The counts of a rollup row: every record, and the records of each status (which add up to `records`).
ROLLUP_COUNTS = ("records", "passed", "pending", "rejected", "abnormal")


class _Rollup:
    """What an hour's and a day's row have in common: the checkpoint's shard key, ancestry and kind, and the counts.

    The key is (city_code, time, checkpoint_id, checkpoint_kind): the shard key first, then the time, so the rows of a
    city's hour or day lie together and an index walks them in order. The kind is part of the key because a checkpoint's
    kind may change (statistics per kind count each record under the kind it was stored with); its region, and so its
    ancestry, never does.

    Two indexes besides the key: `(province_id, <time>)` for a province, `(city_id, <time>)` for a city and everything
    below it (a county's scope is its city's range narrowed to its `county_id`, a month of a city being some 25,000
    rows). An index per level doubled what the worker's upserts cost MariaDB (some 14 ms of its CPU per 500-message
    batch of the drain bench's events, against 7 ms) to save a few milliseconds a query."""

    city_code: Mapped[str] = mapped_column(String(4), sort_order=-2)
    checkpoint_id: Mapped[int] = mapped_column(Integer)
    checkpoint_kind: Mapped[str] = mapped_column(String(16))
    province_id: Mapped[int] = mapped_column(Integer)
    city_id: Mapped[int | None] = mapped_column(Integer)
    county_id: Mapped[int | None] = mapped_column(Integer)
    township_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    region_id: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    pending: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    abnormal: Mapped[int] = mapped_column(Integer)


class RecordHour(_Rollup, RecordsBase):
    """A checkpoint's records checked in during one UTC hour (`hour` is its start), by their current status."""

    __tablename__ = "record_hours"
    __table_args__ = (
        PrimaryKeyConstraint("city_code", "hour", "checkpoint_id", "checkpoint_kind"),
        Index("ix_record_hours_province_hour", "province_id", "hour"),
        Index("ix_record_hours_city_hour", "city_id", "hour"),
    )

    hour: Mapped[datetime] = mapped_column(UTCDateTime, sort_order=-1)


class RecordDay(_Rollup, RecordsBase):
    """A checkpoint's records checked in during one Asia/Shanghai day (UTC+8, no daylight saving): the sum of its 24
    hours from 16:00 UTC the day before."""

    __tablename__ = "record_days"
    __table_args__ = (
        PrimaryKeyConstraint("city_code", "day", "checkpoint_id", "checkpoint_kind"),
        Index("ix_record_days_province_day", "province_id", "day"),
        Index("ix_record_days_city_day", "city_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date, sort_order=-1)
