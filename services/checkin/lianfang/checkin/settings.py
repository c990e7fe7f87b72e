from __future__ import annotations

from pydantic import Field, field_validator

from lianfang.common.contracts.checkpoints import stay_minutes_by_kind
from lianfang.common.settings import ServiceSettings

__all__ = ["CheckinSettings"]


class CheckinSettings(ServiceSettings):
    # Asked for a checkpoint's config when Redis does not have it.
    registry_url: str = "http://127.0.0.1:8000"
    # Asked to tell a resident of a staff decision (their subscribe message), after the decision and never in its way.
    gateway_url: str = "http://127.0.0.1:8000"
    # Asked which fevers of the staff board were sent to the region's alerts (处置), when the board loads.
    trace_url: str = "http://127.0.0.1:8000"
    # Tries of such a message while WeChat or the gateway fails (1, 2, 4 … seconds apart); 0 sends none.
    notify_attempts: int = Field(default=4, ge=0, le=10)
    notify_retry_seconds: float = Field(default=1.0, ge=0, le=60)
    # Every instance looks for 离开提醒 that have come due this often: a reminder arrives at most this late.
    reminder_poll_seconds: float = Field(default=15.0, gt=0, le=300)
    # How long a parsed checkpoint config is used without looking again: a registry change reaches check-ins this late.
    config_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # Redis answers in well under a millisecond; one that does not answer in this long counts as down, and check-ins go
    # on without it (temperatures are asked for, idempotency falls back to the records store). The wait is measured on
    # the event loop, which an overloaded instance runs late: at half a second, a 10,000-user load test saw Redis
    # "down" for two seconds and residents asked for a temperature they had given minutes before.
    redis_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    # After Redis failed, it is left alone this long instead of every request waiting for its own failure.
    redis_retry_seconds: float = Field(default=2.0, ge=0, le=60)
    # Connections to Redis for the check-in path; each carries many requests' commands pipelined. On one, a check-in's
    # writes reach Redis before anything asked after them; with several, only nearly so (by Redis's own turn order).
    redis_connections: int = Field(default=1, ge=1, le=16)
    # A retry that finds its first attempt still in flight waits this long for that attempt's receipt.
    duplicate_wait_seconds: float = Field(default=10.0, gt=0, le=60)
    # Server-sent event streams send a comment this often so that proxies keep them open.
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)
    # A verified access token is remembered this long (never past its expiry): verifying an Ed25519 signature costs
    # more than the rest of a check-in's own work.
    verified_token_seconds: float = Field(default=60.0, ge=0, le=900)
    # Check-ins one resident may post (`limits.ResidentLimiter`): this many at once, then this many a second; 429 after.
    checkin_burst: int = Field(default=10, ge=1, le=1000)
    checkin_rate_per_second: float = Field(default=0.5, gt=0, le=100)
    # The events published in one moment share a message, at most this many (`EventPublisher`); 1 sends every event as
    # a message of its own, for a consumer of `lianfang.checkins` that reads only single events.
    events_per_message: int = Field(default=50, ge=1, le=500)
    # The records store's primary (never a read replica, which lags), read only to rebuild the gate's state in Redis
    # after Redis lost it (`lianfang.checkin.projection`); the hot path never touches it. Unset, a lost Redis cannot be
    # rebuilt, and production refuses to start.
    records_database_url: str | None = None
    # How often the projection's epoch is looked at besides when a request finds it missing, and how long the ingest
    # queue must stay empty before the rebuild reads the store (the worker commits what it holds meanwhile).
    projection_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    rebuild_settle_seconds: float = Field(default=2.0, ge=0, le=60)
    # `LIANFANG_STAY_MINUTES`, read by trace too: a resident who scans a checkpoint again within their kind's assumed
    # stay is offered to check out.
    stay_minutes: dict[str, int] = Field(default_factory=dict)

    @field_validator("stay_minutes")
    @classmethod
    def _known_kinds(cls, value: dict[str, int]) -> dict[str, int]:
        stay_minutes_by_kind(value)
        return value

    def stay_for_kind(self) -> dict[str, int]:
        return stay_minutes_by_kind(self.stay_minutes)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.records_database_url:
            problems.append(
                "LIANFANG_RECORDS_DATABASE_URL is unset: check-in rebuilds its Redis state from the records store "
                "(its primary, mysql+asyncmy://…)"
            )
        return problems
