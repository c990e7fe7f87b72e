"""The metrics every service shares: what the broker, Redis and the state projection do, and whether each dependency
answers. Each family is made on first use rather than at import (the all-in-one server and the tests import services
without running them, and Prometheus's registry refuses a name registered twice); services' own metrics live beside
them (`lianfang.ingest.metrics`, `lianfang.checkin.metrics` …). docs/OPERATIONS.md says which question each answers.

Labels stay few and bounded: a service, a city, a shard, a reason from a fixed list; never a person, a checkpoint or a
request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Final, Generic, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

__all__ = [
    "LATENCY_BUCKETS",
    "REDIS_ERROR_KINDS",
    "REFRESH_TIMEOUT_SECONDS",
    "BrokerMetrics",
    "LabelledSeries",
    "MetricRefresher",
    "ProjectionMetrics",
    "RedisMetrics",
    "broker_metrics",
    "dependency_up",
    "projection_metrics",
    "redis_metrics",
    "refresh_metrics",
]

log = logging.getLogger("lianfang.metrics")

# Seconds, from a Redis round trip to a slow export's first byte.
LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# How long a scrape waits for one dependency's answer before counting it down.
REFRESH_TIMEOUT_SECONDS: Final = 2.0

MetricRefresher = Callable[[], Awaitable[None]]
_Metric = TypeVar("_Metric", bound=MetricWrapperBase)


@dataclass
class LabelledSeries(Generic[_Metric]):
    """A family's children by label values, remembered: `labels()` costs more than the count it makes."""

    family: _Metric
    children: dict[tuple[str, ...], _Metric] = field(default_factory=dict)

    def __call__(self, *values: str) -> _Metric:
        child = self.children.get(values)
        if child is None:
            child = self.children[values] = self.family.labels(*values)
        return child


@dataclass(frozen=True)
class BrokerMetrics:
    confirm_seconds: Histogram
    publish_failures: Counter


@cache
def broker_metrics() -> BrokerMetrics:
    return BrokerMetrics(
        confirm_seconds=Histogram(
            "lianfang_broker_confirm_seconds",
            "Time from publishing a message of events to RabbitMQ's confirm of it",
            buckets=LATENCY_BUCKETS,
        ),
        publish_failures=Counter(
            "lianfang_broker_publish_failures",
            "Events the broker did not confirm, or that met it unreachable (their callers were answered 503)",
        ),
    )


@dataclass(frozen=True)
class RedisMetrics:
    roundtrip_seconds: Histogram
    errors: LabelledSeries[Counter]
    available: Gauge


REDIS_ERROR_KINDS: Final = ("unreachable", "reply")


@cache
def redis_metrics() -> RedisMetrics:
    errors = LabelledSeries(
        Counter(
            "lianfang_redis_errors",
            "Redis batches that failed: unreachable (connection, timeout) or an error reply",
            ["kind"],
        )
    )
    for kind in REDIS_ERROR_KINDS:
        errors(kind)
    available = Gauge("lianfang_redis_available", "1 while the check-in service uses Redis, 0 while it goes on without")
    available.set(1)
    return RedisMetrics(
        roundtrip_seconds=Histogram(
            "lianfang_redis_roundtrip_seconds",
            "Time for one batch of Redis commands to be answered",
            buckets=LATENCY_BUCKETS,
        ),
        errors=errors,
        available=available,
    )


@dataclass(frozen=True)
class ProjectionMetrics:
    """The Redis projection of the records store (DESIGN.md: rebuilt by itself after any loss). Whoever rebuilds it sets
    `rebuilding` to 1 for the duration and counts each rebuild; `rebuild_started` is when the current or last began."""

    rebuilding: Gauge
    rebuilds: Counter
    rebuild_started: Gauge


@cache
def projection_metrics() -> ProjectionMetrics:
    return ProjectionMetrics(
        rebuilding=Gauge("lianfang_projection_rebuilding", "1 while the Redis projection is being rebuilt"),
        rebuilds=Counter("lianfang_projection_rebuilds", "Rebuilds of the Redis projection started"),
        rebuild_started=Gauge(
            "lianfang_projection_rebuild_started_timestamp_seconds",
            "When the current or last rebuild of the Redis projection started (Unix time; 0: none since start)",
        ),
    )


@cache
def _dependency_up() -> LabelledSeries[Gauge]:
    return LabelledSeries(
        Gauge(
            "lianfang_dependency_up",
            "1 when the dependency answered the readiness check at the last scrape, 0 when not",
            ["dependency"],
        )
    )


def dependency_up(name: str) -> Gauge:
    """The gauge of one dependency of `/readyz` (`records-db`, `rabbitmq`, `redis` …)."""
    return _dependency_up()(name)


async def refresh_metrics(refreshers: Sequence[MetricRefresher]) -> None:
    """Runs what reads its figures at scrape time (a queue's depth, a dependency's answer), side by side, each bounded
    by `REFRESH_TIMEOUT_SECONDS`; one that fails leaves its figures as they were and is logged."""

    async def bounded(refresher: MetricRefresher) -> None:
        try:
            await asyncio.wait_for(refresher(), REFRESH_TIMEOUT_SECONDS)
        except Exception as error:
            log.warning("a metric could not be read (%r)", error)

    await asyncio.gather(*(bounded(refresher) for refresher in refreshers))
