from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, field_validator, model_validator

from lianfang.common.chinese_font import ChineseFontSettings
from lianfang.common.contracts.checkpoints import stay_minutes_by_kind
from lianfang.common.settings import SettingsError

__all__ = ["TraceSettings"]


class TraceSettings(ChineseFontSettings):
    records_database_url: str = "sqlite+aiosqlite:///.lianfang/records.db"
    # Where trace reads the records: a replica, or the read front of a sharded store. Unset: the store itself.
    records_read_database_url: str | None = None
    # The access audit log: a small store of its own, kept longer than the records it speaks of.
    trace_database_url: str = "sqlite+aiosqlite:///.lianfang/trace.db"
    # Asked for region paths and for the names of checkpoints and regions, with the caller's own token.
    registry_url: str = "http://127.0.0.1:8000"
    # Asked to send an official's confirmed risk notice to the residents it names, with the official's own token.
    gateway_url: str = "http://127.0.0.1:8000"
    # Names and paths change rarely (a rename), so a page of records asks the registry only for what it has not seen
    # for this long.
    names_cache_seconds: float = Field(default=300.0, ge=0, le=3600)
    names_cache_size: int = Field(default=50_000, ge=100)
    registry_concurrency: int = Field(default=8, ge=1, le=64)
    # The longest period one query may span: bounds every range scan (and the monthly partitions it touches on MySQL).
    max_period_days: int = Field(default=92, ge=1, le=366)
    # Trajectory and contact screening look back this far when no `from` is given: the incubation period, and how long
    # a fever marks a person.
    lookback_days: int = Field(default=14, ge=1, le=92)
    # `LIANFANG_STAY_MINUTES` as JSON, e.g. `{"hospital": 180}`: kinds left out keep their defaults.
    stay_minutes: dict[str, int] = Field(default_factory=dict)
    # A check-out pairs with the check-in before it at the same checkpoint when it came at most this long after it;
    # later, the person left without checking out and came back another time. Contact screening reads this far around
    # every stay, so that a long stay closed by a check-out is seen from both ends.
    max_stay_minutes: int = Field(default=720, ge=10, le=1440)
    trajectory_max_visits: int = Field(default=2000, ge=10, le=20_000)
    contacts_max: int = Field(default=500, ge=1, le=5000)
    # First-degree contacts (the closest) whose own visits are screened for second-degree contacts.
    second_degree_sources: int = Field(default=50, ge=0, le=500)
    # Hourly statistics draw one point per hour and sub-region: a week is 168 points a line.
    stats_max_hourly_days: int = Field(default=7, ge=1, le=31)
    # An export stops after this many rows (an Excel sheet holds 1,048,576) and says so in its last row.
    export_max_rows: int = Field(default=1_000_000, ge=1, le=1_048_575)
    # Rows read per query while exporting: memory holds one chunk at a time.
    export_chunk_rows: int = Field(default=2000, ge=100, le=20_000)
    # The access log outlives the records it speaks of (`LIANFANG_RETENTION_DAYS`, 30): who looked someone up must still
    # be answerable after the records are gone.
    audit_retention_days: int = Field(default=180, ge=30, le=3650)
    audit_purge_interval_seconds: float = Field(default=3600.0, gt=0)

    # Trace keeps nothing in Redis nor on the broker: a production instance must not be refused for leaving them unset.
    durable_urls: ClassVar[tuple[str, ...]] = ("records_database_url", "trace_database_url")

    @field_validator("stay_minutes")
    @classmethod
    def _known_kinds(cls, value: dict[str, int]) -> dict[str, int]:
        stay_minutes_by_kind(value)
        return value

    @model_validator(mode="after")
    def _stays_fit_the_pairing_limit(self) -> Self:
        longest = max(self.stay_for_kind().values())
        if longest > self.max_stay_minutes:
            raise SettingsError(
                f"LIANFANG_MAX_STAY_MINUTES ({self.max_stay_minutes}) must be at least the longest assumed stay "
                f"({longest}): contact screening reads that far around each stay"
            )
        return self

    @property
    def records_read_url(self) -> str:
        return self.records_read_database_url or self.records_database_url

    def stay_for_kind(self) -> dict[str, int]:
        return stay_minutes_by_kind(self.stay_minutes)
