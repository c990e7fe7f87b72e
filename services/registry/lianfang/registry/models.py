from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Double, Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lianfang.common.db import UTCDateTime, new_metadata, utcnow
from lianfang.common.oplog import OperationEntryColumns

__all__ = [
    "LEVELS",
    "Checkpoint",
    "CheckpointKind",
    "OperationEntry",
    "Region",
    "RegionLevel",
    "RegistryBase",
    "RemovedCheckpoint",
    "Template",
    "TemplateVersion",
]


class RegistryBase(DeclarativeBase):
    metadata = new_metadata()


class RegionLevel(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    township = "township"
    unit = "unit"


# Top down: a region's level is the one after its parent's, and its depth in the tree is its index here.
LEVELS = tuple(RegionLevel)


class Region(RegistryBase):
    """A node of the region tree, from the province (the root) down to units, communities and villages.

    `path` lists the ids from the root to the region itself (`/1/7/42/`): the scope of a region's people is every region
    whose path starts with it. `city_code` is the records store's shard key; `regions.codes.city_code_for` says how it
    is chosen.
    """

    __tablename__ = "regions"
    # No reuse of a deleted region's id on SQLite: tokens and records may still name it.
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_regions_parent_id_name"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(12), unique=True)
    level: Mapped[RegionLevel] = mapped_column(Enum(RegionLevel, native_enum=False, length=16))
    path: Mapped[str] = mapped_column(String(255), index=True)
    city_code: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def ancestor_ids(self) -> list[int]:
        """From the root down to the parent."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1]]


class Template(RegistryBase):
    """A form a region's checkpoints ask residents to fill; usable by checkpoints in the region's subtree.

    Editing adds a version and leaves the old ones as they were: a checkpoint keeps answering with the version it was
    given until an admin moves it to a newer one.
    """

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_templates_region_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # The built-in templates' stable names (residential_gate, …); None for templates admins made.
    builtin: Mapped[str | None] = mapped_column(String(32), unique=True)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TemplateVersion(RegistryBase):
    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version", name="uq_template_versions_template_id_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckpointKind(StrEnum):
    community = "community"
    hospital = "hospital"
    market = "market"
    office = "office"
    vehicle = "vehicle"
    school = "school"
    station = "station"
    village = "village"
    other = "other"


class Checkpoint(RegistryBase):
    """A place people check in at: a gate, a bus, a hospital entrance. `code` is what its QR code carries."""

    __tablename__ = "checkpoints"
    # AUTOINCREMENT on SQLite: a deleted checkpoint's id is never given again (records keep naming it), where SQLite
    # would otherwise reuse the highest id once its row is gone. InnoDB never reuses one.
    __table_args__ = (
        UniqueConstraint("region_id", "name", name="uq_checkpoints_region_id_name"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    city_code: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[CheckpointKind] = mapped_column(Enum(CheckpointKind, native_enum=False, length=16))
    address: Mapped[str | None] = mapped_column(String(200))
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"), index=True)
    template_version: Mapped[int] = mapped_column(Integer)
    temp_valid_minutes: Mapped[int] = mapped_column(Integer, default=0)
    requires_audit: Mapped[bool] = mapped_column(Boolean, default=False)
    fever_threshold: Mapped[float] = mapped_column(Float, default=37.3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where it stands (GCJ-02, as WeChat's maps give it) and how far from there a check-in still counts as on the spot.
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    radius_m: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemovedCheckpoint(RegistryBase):
    """What is kept of a deleted checkpoint: its records stay in the records store, and trace still names them. No
    foreign keys, so its region and template may go afterwards."""

    __tablename__ = "removed_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(Integer)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    region_name: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[CheckpointKind] = mapped_column(Enum(CheckpointKind, native_enum=False, length=16))
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_by: Mapped[str] = mapped_column(String(36))


class OperationEntry(OperationEntryColumns, RegistryBase):
    """操作日志 of the registry: who created, changed, switched off or deleted which region, checkpoint or template, and
    which checkpoint import ran."""
