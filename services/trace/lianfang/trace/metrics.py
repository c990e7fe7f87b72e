"""What trace measures for the on-call: how long each kind of query takes, how many exports are streaming, and which
shard of the records store was out of reach."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Final

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from lianfang.common.contracts.paths import TRACE
from lianfang.common.metrics import LATENCY_BUCKETS, LabelledSeries

__all__ = ["QUERY_KINDS", "QueryMetricsMiddleware", "TraceMetrics", "trace_metrics"]

# Each route of trace by the kind of query it runs (the route's path template, so a record id is no label).
QUERY_KINDS: Final = {
    f"{TRACE}/records": "records",
    f"{TRACE}/records/{{record_id}}": "record",
    f"{TRACE}/people/trajectory": "trajectory",
    f"{TRACE}/people/trajectory.pdf": "report",
    f"{TRACE}/contacts": "contacts",
    f"{TRACE}/contacts.pdf": "report",
    f"{TRACE}/contacts/notices": "risk_notice",
    f"{TRACE}/stats": "stats",
    f"{TRACE}/alerts": "alerts",
    f"{TRACE}/alerts/{{record_id}}/visits": "alert_visits",
    f"{TRACE}/alerts/{{record_id}}/handling": "alert_handling",
    f"{TRACE}/alerts/{{record_id}}/gate-report": "alert_handling",
    f"{TRACE}/alerts/gate-reports/search": "gate_reports",
    f"{TRACE}/export.csv": "export",
    f"{TRACE}/export.xlsx": "export",
    f"{TRACE}/audit-log": "audit_log",
}
_EXPORTS: Final = frozenset(path for path, kind in QUERY_KINDS.items() if kind == "export")


@dataclass(frozen=True)
class TraceMetrics:
    query_seconds: LabelledSeries[Histogram]
    exports_running: Gauge
    shard_unavailable: LabelledSeries[Counter]


@cache
def trace_metrics() -> TraceMetrics:
    metrics = TraceMetrics(
        query_seconds=LabelledSeries(
            Histogram(
                "lianfang_trace_query_seconds",
                "Time to answer a trace query, by kind (records, trajectory, contacts, stats, export …); an export's "
                "until its last byte",
                ["kind"],
                buckets=LATENCY_BUCKETS,
            )
        ),
        exports_running=Gauge("lianfang_trace_exports_running", "Exports being streamed by this process"),
        shard_unavailable=LabelledSeries(
            Counter(
                "lianfang_trace_shard_unavailable",
                "Trace queries answered 503 because a shard of the records store was out of reach, by shard",
                ["shard"],
            )
        ),
    )
    for kind in dict.fromkeys(QUERY_KINDS.values()):
        metrics.query_seconds(kind)
    return metrics


class QueryMetricsMiddleware:
    """Times every trace query to its answer's last byte, and counts the exports streaming meanwhile."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = trace_metrics()
        started = time.perf_counter()
        exporting = scope["path"] in _EXPORTS
        if exporting:
            metrics.exports_running.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            if exporting:
                metrics.exports_running.dec()
            kind = QUERY_KINDS.get(getattr(scope.get("route"), "path", ""))
            if kind is not None:
                metrics.query_seconds(kind).observe(time.perf_counter() - started)
