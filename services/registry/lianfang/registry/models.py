from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lianfang.common.db import UTCDateTime, new_metadata, utcnow

__all__ = ["LEVELS", "Region", "RegionLevel", "RegistryBase"]


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
