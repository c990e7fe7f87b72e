from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from lianfang.common.settings import ServiceSettings

__all__ = ["RegistrySettings"]


class RegistrySettings(ServiceSettings):
    registry_database_url: str = "sqlite+aiosqlite:///.lianfang/registry.db"
    # Asked whether accounts are left in a region before it is deleted.
    gateway_url: str = "http://127.0.0.1:8000"
    # The root region, created at the first start only: changing these later renames nothing.
    root_region_name: str = Field(default="河北省", min_length=1, max_length=64)
    root_region_code: str = Field(default="130000", pattern=r"^\d{2}0000$")

    durable_urls: ClassVar[tuple[str, ...]] = (*ServiceSettings.durable_urls, "registry_database_url")
