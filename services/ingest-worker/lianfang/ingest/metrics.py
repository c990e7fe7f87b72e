from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Counter, Gauge, Histogram

from lianfang.common.metrics import LATENCY_BUCKETS, LabelledSeries
from lianfang.ingest.messages import RejectionKind

__all__ = ["DECISION_OUTCOMES", "IngestMetrics", "ingest_metrics"]

DECISION_OUTCOMES = ("applied", "deferred", "stale")


@dataclass(frozen=True)
class IngestMetrics:
    records_stored: Counter
    duplicates: Counter
    decisions: Counter
    dead_lettered: Counter
    write_failures: Counter
    paused: Gauge
    batch_size: Histogram
    commit_seconds: Histogram
    node_events: LabelledSeries[Histogram]
    node_store_seconds: LabelledSeries[Histogram]
    node_up: LabelledSeries[Gauge]
    held: Gauge
    lag_seconds: Gauge
    queue_messages: LabelledSeries[Gauge]
    replica_up: LabelledSeries[Gauge]
    replica_lag: LabelledSeries[Gauge]


@cache
def ingest_metrics() -> IngestMetrics:
    """Made on first use rather than at import: the all-in-one server and tests import the worker without running it,
    and the registry refuses a metric registered twice."""
    metrics = IngestMetrics(
        records_stored=Counter("lianfang_ingest_records_stored", "Check-in records written to the records store"),
        duplicates=Counter(
            "lianfang_ingest_duplicates", "Check-ins already stored (redelivered or retried), absorbed by their key"
        ),
        decisions=Counter(
            "lianfang_ingest_decisions",
            "Staff decisions: applied to their record, deferred until it arrives, or stale (a newer one is stored)",
            ["outcome"],
        ),
        dead_lettered=Counter(
            "lianfang_ingest_dead_lettered", "Messages sent to the dead-letter queue, by reason", ["reason"]
        ),
        write_failures=Counter(
            "lianfang_ingest_write_failures", "Batch writes that failed on the database and will be tried again"
        ),
        paused=Gauge("lianfang_ingest_paused", "1 while the worker holds a batch and waits for the database"),
        batch_size=Histogram(
            "lianfang_ingest_batch_size",
            "Messages per batch",
            buckets=(1, 5, 10, 25, 50, 100, 200, 300, 400, 500, 750, 1000, 2000),
        ),
        commit_seconds=Histogram(
            "lianfang_ingest_commit_seconds",
            "Time to write and commit one batch",
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        ),
        node_events=LabelledSeries(
            Histogram(
                "lianfang_ingest_node_batch_events",
                "Events written to one node of the records store in one batch (node: a shard, default, or records "
                "when the store is not sharded)",
                ["node"],
                buckets=(1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000, 5000),
            )
        ),
        node_store_seconds=LabelledSeries(
            Histogram(
                "lianfang_ingest_node_store_seconds",
                "Time to write and commit one batch's part on one node of the records store",
                ["node"],
                buckets=LATENCY_BUCKETS,
            )
        ),
        node_up=LabelledSeries(
            Gauge("lianfang_ingest_node_up", "0 while the worker holds a node's messages because it is down", ["node"])
        ),
        held=Gauge("lianfang_ingest_held_messages", "Messages held unacked while their node of the store is down"),
        lag_seconds=Gauge(
            "lianfang_ingest_lag_seconds",
            "Age of the oldest check-in or decision this worker has received and not yet stored (0: none in hand)",
        ),
        queue_messages=LabelledSeries(
            Gauge(
                "lianfang_ingest_queue_messages",
                "Messages ready in a queue (ingest.checkins, ingest.dead), read from RabbitMQ at each scrape",
                ["queue"],
            )
        ),
        replica_up=LabelledSeries(
            Gauge(
                "lianfang_records_replica_up",
                "1 when a shard's replica answers and both its replication threads run, by shard",
                ["shard"],
            )
        ),
        replica_lag=LabelledSeries(
            Gauge(
                "lianfang_records_replica_lag_seconds",
                "How far a shard's replica is behind its primary (Seconds_Behind_Master), by shard",
                ["shard"],
            )
        ),
    )
    # Every label at zero from the start, so that a rate or an alert has a series before the first dead letter.
    for outcome in DECISION_OUTCOMES:
        metrics.decisions.labels(outcome)
    for kind in RejectionKind:
        metrics.dead_lettered.labels(kind.value)
    return metrics
