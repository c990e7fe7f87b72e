"""`lianfang status`: the on-call's figures on one terminal screen, for a machine without Prometheus.

Each process's `/readyz` and two readings of its `/metrics` some seconds apart: rates and percentiles come from what
changed between them, levels (lag, queues, what is up) from the second. The processes are those of the local cluster
(its pid files name them and their ports) or the URLs given; the all-in-one server is one URL.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from lianfang.allinone.cluster.procfile import serves_http
from lianfang.common.beijing import in_beijing

__all__ = ["Process", "Reading", "cluster_processes", "read_all", "render"]

# Our own refusals, not the resident's (the alert CheckinErrors counts the same).
SERVER_REASONS = (
    "broker_unavailable",
    "registry_unavailable",
    "redis_unavailable",
    "state_rebuilding",
    "internal_error",
)

Labels = frozenset[tuple[str, str]]
Samples = dict[tuple[str, Labels], float]


@dataclass(frozen=True)
class Process:
    name: str
    url: str


@dataclass
class Reading:
    """One process's state: its readiness and two scrapes."""

    process: Process
    ready: str
    before: Samples = field(default_factory=dict)
    after: Samples = field(default_factory=dict)
    seconds: float = 0.0


def cluster_processes(run_dir: Path) -> list[Process]:
    """The local cluster's processes that answer HTTP, from the pid files its supervisor writes (its Redis has a
    `--port` too, but answers no /metrics)."""
    found = []
    for pid_file in sorted((run_dir / "pids").glob("*.pid")):
        port = re.search(r"--port (\d+)", pid_file.read_text().partition("\n")[2])
        if port is not None and serves_http(pid_file.stem.partition(".")[0]):
            found.append(Process(pid_file.stem, f"http://127.0.0.1:{port.group(1)}"))
    return found


def _samples(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


async def _scrape(client: httpx.AsyncClient, process: Process) -> Samples:
    try:
        response = await client.get(f"{process.url}/metrics")
        response.raise_for_status()
    except httpx.HTTPError:
        return {}
    return _samples(response.text)


async def _ready(client: httpx.AsyncClient, process: Process) -> str:
    try:
        response = await client.get(f"{process.url}/readyz")
    except httpx.HTTPError as error:
        return f"无法连接 unreachable ({type(error).__name__})"
    if response.status_code == 200:
        return "ready"
    try:
        detail = response.json().get("detail") or response.reason_phrase
    except ValueError:
        detail = response.reason_phrase
    return f"{response.status_code} {detail}"


async def read_all(
    processes: Sequence[Process],
    *,
    interval: float,
    request_seconds: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Reading]:
    """Scrape every process, wait until `interval` has passed, scrape again and ask each whether it is ready."""
    async with httpx.AsyncClient(timeout=request_seconds, transport=transport) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        firsts = await asyncio.gather(*(_scrape(client, process) for process in processes))
        await asyncio.sleep(max(0.0, interval - (loop.time() - started)))
        apart = max(loop.time() - started, 1e-3)
        seconds = await asyncio.gather(*(_scrape(client, process) for process in processes))
        states = await asyncio.gather(*(_ready(client, process) for process in processes))
    return [
        Reading(process, state, first, second, apart)
        for process, state, first, second in zip(processes, states, firsts, seconds, strict=True)
    ]


class _Figures:
    """The readings of every process added up, as PromQL's `sum by` would."""

    def __init__(self, readings: Sequence[Reading]) -> None:
        self.readings = [reading for reading in readings if reading.after]
        self.seconds = max((reading.seconds for reading in self.readings), default=1.0)

    def _rows(self, name: str, which: str) -> Iterable[tuple[Labels, float]]:
        for reading in self.readings:
            samples = reading.before if which == "before" else reading.after
            for (sample, labels), value in samples.items():
                if sample == name:
                    yield labels, value

    def level(self, name: str, by: str | None = None, how: str = "max") -> dict[str, float]:
        grouped: dict[str, list[float]] = defaultdict(list)
        for labels, value in self._rows(name, "after"):
            grouped[dict(labels).get(by, "") if by else ""].append(value)
        picks: dict[str, Callable[[list[float]], float]] = {"max": max, "min": min, "sum": math.fsum}
        return {key: picks[how](values) for key, values in grouped.items()}

    def rate(self, name: str, by: str | None = None, **match: str) -> dict[str, float]:
        """Per second between the two readings, summed over processes (a counter reset counts from zero)."""
        totals: dict[str, float] = defaultdict(float)
        for reading in self.readings:
            for (sample, labels), value in reading.after.items():
                if sample != name or any(dict(labels).get(key) != want for key, want in match.items()):
                    continue
                earlier = reading.before.get((sample, labels), 0.0)
                grown = value - earlier if value >= earlier else value
                totals[dict(labels).get(by, "") if by else ""] += grown / reading.seconds
        return dict(totals)

    def quantile(self, name: str, q: float, by: str | None = None, **match: str) -> dict[str, float]:
        """`histogram_quantile(q, …)` of what the buckets gained between the readings; NaN without observations."""
        buckets: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
        for reading in self.readings:
            for (sample, labels), value in reading.after.items():
                label = dict(labels)
                if sample != f"{name}_bucket" or any(label.get(key) != want for key, want in match.items()):
                    continue
                grown = value - reading.before.get((sample, labels), 0.0)
                buckets[label.get(by, "") if by else ""][float(label["le"])] += max(grown, 0.0)
        return {key: _quantile(q, bounds) for key, bounds in buckets.items()}


def _quantile(q: float, buckets: Mapping[float, float]) -> float:
    bounds = sorted(buckets.items())
    total = bounds[-1][1] if bounds else 0.0
    if total <= 0:
        return math.nan
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in bounds:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def _ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:,.0f} ms"


def _per_second(value: float) -> str:
    return f"{value:,.1f}/s"


def _listing(values: Mapping[str, float], fmt: str = "{:,.0f}", limit: int = 8) -> str:
    if not values:
        return "—"
    shown = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return "  ".join(f"{key or '·'} {fmt.format(value)}" for key, value in shown)


def render(readings: Sequence[Reading], *, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    figures = _Figures(readings)
    heading = [
        f"Lianfang 联防联控 — status at {in_beijing(now):%Y-%m-%d %H:%M:%S} (北京时间), "
        f"rates over {figures.seconds:.0f} s",
    ]
    sections = (heading, _processes(readings), _checkins(figures), _ingest(figures), _redis_logins_trace(figures))
    return "\n\n".join("\n".join(section) for section in sections)


def _processes(readings: Sequence[Reading]) -> list[str]:
    lines = ["进程 processes"]
    width = max((len(reading.process.name) for reading in readings), default=8)
    for reading in readings:
        down = [
            dict(labels)["dependency"]
            for (name, labels), value in reading.after.items()
            if name == "lianfang_dependency_up" and value == 0
        ]
        state = reading.ready + (f"; 依赖不可达 down: {', '.join(sorted(down))}" if down else "")
        lines.append(f"  {reading.process.name:<{width}}  {reading.process.url:<24}  {state}")
    return lines


def _checkins(figures: _Figures) -> list[str]:
    confirmed = figures.rate("lianfang_checkins_confirmed_total", "city")
    refused = figures.rate("lianfang_checkins_refused_total", "reason")
    ours = sum(refused.get(reason, 0.0) for reason in SERVER_REASONS)
    all_checkins = sum(figures.rate("lianfang_checkin_duration_seconds_count").values())
    return [
        "登记 check-ins",
        f"  confirmed   {_per_second(sum(confirmed.values()))}   by city: "
        + _listing({city: value for city, value in confirmed.items() if value > 0}, "{:,.1f}/s"),
        f"  refused     {_listing({reason: value for reason, value in refused.items() if value > 0}, '{:,.2f}/s')}"
        + (f"   server-side {ours / all_checkins:.1%}" if all_checkins else ""),
        "  latency     p50 "
        + _ms(figures.quantile("lianfang_checkin_duration_seconds", 0.5, outcome="confirmed").get("", math.nan))
        + "   p99 "
        + _ms(figures.quantile("lianfang_checkin_duration_seconds", 0.99, outcome="confirmed").get("", math.nan))
        + "   RabbitMQ confirm p99 "
        + _ms(figures.quantile("lianfang_broker_confirm_seconds", 0.99).get("", math.nan)),
    ]


def _ingest(figures: _Figures) -> list[str]:
    lag = figures.level("lianfang_ingest_lag_seconds").get("")
    queues = figures.level("lianfang_ingest_queue_messages", "queue")
    nodes = figures.level("lianfang_ingest_node_up", "node", "min")
    replicas = figures.level("lianfang_records_replica_up", "shard", "min")
    replica_lag = figures.level("lianfang_records_replica_lag_seconds", "shard")
    store_p99 = figures.quantile("lianfang_ingest_node_store_seconds", 0.99, "node")
    lines = [
        "入库 ingest",
        f"  lag         {'—' if lag is None else f'{lag:,.1f} s'}   queues: {_listing(queues)}",
        f"  stored      {_per_second(sum(figures.rate('lianfang_ingest_records_stored_total').values()))}"
        f"   dead-lettered {_per_second(sum(figures.rate('lianfang_ingest_dead_lettered_total').values()))}",
        "  nodes       "
        + (
            "  ".join(
                f"{node} {'up' if up else 'DOWN'} (store p99 {_ms(store_p99.get(node, math.nan))})"
                for node, up in sorted(nodes.items())
            )
            or "—"
        ),
    ]
    if replicas:
        lines.append(
            "  replicas    "
            + "  ".join(
                f"{shard} {'up' if up else 'DOWN'} {replica_lag.get(shard, math.nan):,.0f} s behind"
                for shard, up in sorted(replicas.items())
            )
        )
    return lines


def _redis_logins_trace(figures: _Figures) -> list[str]:
    available = figures.level("lianfang_redis_available", how="min").get("")
    rebuilding = figures.level("lianfang_projection_rebuilding").get("")
    logins = figures.rate("lianfang_logins_total", "outcome")
    queries = figures.quantile("lianfang_trace_query_seconds", 0.95, "kind")
    return [
        "Redis",
        f"  {'—' if available is None else ('available' if available else 'UNAVAILABLE (check-ins go on without it)')}"
        f"   round trip p99 {_ms(figures.quantile('lianfang_redis_roundtrip_seconds', 0.99).get('', math.nan))}"
        f"   errors {_listing(figures.rate('lianfang_redis_errors_total', 'kind'), '{:,.2f}/s')}"
        f"   projection {'REBUILDING' if rebuilding else 'ready'}",
        "",
        "登录与查询 logins and trace",
        f"  logins      {_listing({outcome: value for outcome, value in logins.items() if value > 0}, '{:,.2f}/s')}",
        f"  queries p95 {_listing({kind: value * 1000 for kind, value in queries.items() if not math.isnan(value)}, '{:,.0f} ms')}"
        f"   exports running {figures.level('lianfang_trace_exports_running', how='sum').get('', 0):,.0f}",
    ]
