from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lianfang.common.chinese_font import ChineseFontSettings
from lianfang.common.settings import ServiceSettings

__all__ = ["RegistrySettings"]


class RegistrySettings(ChineseFontSettings):
    registry_database_url: str = "sqlite+aiosqlite:///.lianfang/registry.db"
    # Asked whether accounts are left in a region before it is deleted.
    gateway_url: str = "http://127.0.0.1:8000"
    # The root region, created at the first start only: changing these later renames nothing.
    root_region_name: str = Field(default="河北省", min_length=1, max_length=64)
    root_region_code: str = Field(default="130000", pattern=r"^\d{2}0000$")

    # The mini-program's page a checkpoint's mini-program code opens (web/mp), and which version of it: codes of an
    # unreleased page are refused by WeChat unless `trial` or `develop` is named here.
    wechat_mp_page: str = Field(default="pages/checkin/index", pattern=r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*$")
    wechat_mp_env_version: Literal["release", "trial", "develop"] = "release"
    # A code never changes for a checkpoint: kept this long in Redis, so a region's posters printed again ask WeChat
    # nothing (WeChat limits codes a minute, and each is tens of kilobytes: not kept for ever).
    wxacode_cache_days: int = Field(default=7, ge=0, le=365)
    # The operation log (操作日志) outlives the records: who changed an account or a checkpoint stays answerable for
    # half a year (`LIANFANG_OPERATION_LOG_RETENTION_DAYS`); older entries are purged every `log_purge_interval_seconds`.
    operation_log_retention_days: int = Field(default=180, ge=30, le=3650)
    log_purge_interval_seconds: float = Field(default=3600.0, gt=0)

    durable_urls: ClassVar[tuple[str, ...]] = (*ServiceSettings.durable_urls, "registry_database_url")
