"""What the check-in service counts: the rush per city, what was refused and why, how long a resident waited."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from prometheus_client import Counter, Histogram

from lianfang.common.metrics import LATENCY_BUCKETS, LabelledSeries

__all__ = ["OUTCOMES", "CheckinMetrics", "checkin_metrics"]

# A check-in's outcome as the resident saw it: a new receipt, the first receipt again (same client id), or a problem.
OUTCOMES: Final = ("confirmed", "replayed", "refused")


@dataclass(frozen=True)
class CheckinMetrics:
    confirmed: LabelledSeries[Counter]
    refused: LabelledSeries[Counter]
    duration: LabelledSeries[Histogram]


@cache
def checkin_metrics() -> CheckinMetrics:
    metrics = CheckinMetrics(
        confirmed=LabelledSeries(
            Counter(
                "lianfang_checkins_confirmed",
                "Check-ins confirmed by the broker and answered with a new receipt, by city (4-digit code)",
                ["city"],
            )
        ),
        refused=LabelledSeries(
            Counter(
                "lianfang_checkins_refused",
                "Check-ins answered with a problem, by its code (validation_failed, checkpoint_closed, "
                "broker_unavailable …)",
                ["reason"],
            )
        ),
        duration=LabelledSeries(
            Histogram(
                "lianfang_checkin_duration_seconds",
                "Time to answer a check-in, by outcome (confirmed, replayed, refused)",
                ["outcome"],
                buckets=LATENCY_BUCKETS,
            )
        ),
    )
    for outcome in OUTCOMES:
        metrics.duration(outcome)
    # The refusals that mean trouble on our side, at zero from the start so that a rate has a series to read.
    for reason in (
        "broker_unavailable",
        "redis_unavailable",
        "state_rebuilding",
        "registry_unavailable",
        "internal_error",
    ):
        metrics.refused(reason)
    return metrics
