"""What the on-call's tools read is what the code exports: every metric named by the Grafana dashboards and the alert
rules is on some process's /metrics (or comes from an exporter named here), and the compose file's Prometheus scrapes
the same process types as `make cluster`'s."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # uvicorn[standard]'s, untyped

from lianfang.common.testing import scrape

from .conftest import System

CHECKOUT = Path(__file__).resolve().parents[3]
DASHBOARDS = sorted((CHECKOUT / "deploy" / "grafana" / "dashboards").glob("*.json"))
RULES = CHECKOUT / "deploy" / "prometheus" / "alerts.yml"
# Series that come from Prometheus itself and from the exporters docker-compose runs beside Lianfang.
EXTERNAL = {
    "up",
    "ALERTS",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    "probe_ssl_earliest_cert_expiry",
}
_FUNCTIONS_AND_WORDS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right|and|or|unless|bool|offset)\b")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords, label names or
    values, durations or numbers."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    stripped = re.sub(r"\{[^}]*\}", " ", stripped)
    stripped = re.sub(r"\[[^\]]*\]", " ", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", stripped)
    stripped = _FUNCTIONS_AND_WORDS.sub(" ", stripped)
    names = set(re.findall(r"(?<![\w.$])([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()", stripped))
    return {name for name in names if not re.fullmatch(r"[0-9.e+-]+|inf|nan|vector", name, re.IGNORECASE)}


def dashboard_queries(dashboard: dict[str, Any]) -> list[str]:
    queries = []
    for panel in dashboard["panels"]:
        queries += [target["expr"] for target in panel.get("targets", [])]
        for inner in panel.get("panels", []):
            queries += [target["expr"] for target in inner.get("targets", [])]
    return queries


@pytest.fixture
async def exported(system: System) -> set[str]:
    """Every series name the all-in-one server (every service and the worker in one process) exports, with the
    names PromQL reads of each family (`_bucket`, `_sum`, `_count` of a histogram)."""
    scraped = await scrape(system.client)
    names = {name for name, _ in scraped}
    for family in scraped.families:
        names |= {family, f"{family}_total", f"{family}_bucket", f"{family}_sum", f"{family}_count"}
    return names


def test_a_query_names_its_metrics_and_nothing_else() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, node) (rate(lianfang_ingest_node_store_seconds_bucket{city=~"$city"}[5m])))'
        " / on (node) group_left max(lianfang_ingest_node_up) > 0.5 or vector(0)"
    )
    assert metric_names(expr) == {"lianfang_ingest_node_store_seconds_bucket", "lianfang_ingest_node_up"}


@pytest.mark.usefixtures("backend")
class TestDashboards:
    def test_there_is_a_dashboard_and_each_is_valid_json_for_grafana(self) -> None:
        assert DASHBOARDS
        for path in DASHBOARDS:
            dashboard = json.loads(path.read_text())
            assert dashboard["uid"], path.name
            assert dashboard["title"], path.name
            assert all(target["datasource"]["uid"] == "prometheus" for target in _targets(dashboard)), path.name
            for panel in dashboard["panels"]:
                if panel["type"] != "row":
                    assert [target["expr"] for target in panel["targets"] if target["expr"]], panel["title"]

    async def test_every_query_names_only_metrics_the_code_exports(self, exported: set[str]) -> None:
        for path in DASHBOARDS:
            for expr in dashboard_queries(json.loads(path.read_text())):
                unknown = metric_names(expr) - exported - EXTERNAL
                assert not unknown, f"{path.name}: {expr} names {sorted(unknown)}, which nothing exports"

    async def test_every_alert_names_only_metrics_the_code_exports(self, exported: set[str]) -> None:
        rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
        assert rules
        for rule in rules:
            unknown = metric_names(rule["expr"]) - exported - EXTERNAL
            assert not unknown, f"{rule['alert']}: names {sorted(unknown)}, which nothing exports"
            assert rule["annotations"]["runbook"] == f"docs/OPERATIONS.md#{rule['alert'].lower()}"
            assert re.search(r"[\u4e00-\u9fff]", rule["annotations"]["summary"]), rule["alert"]


def test_every_alert_has_its_runbook_section() -> None:
    operations = (CHECKOUT / "docs" / "OPERATIONS.md").read_text()
    headings = {match.lower() for match in re.findall(r"^#{2,4} (\w+)", operations, re.MULTILINE)}
    alerts = {rule["alert"].lower() for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    assert alerts <= headings, sorted(alerts - headings)


def test_compose_prometheus_scrapes_the_process_types_make_cluster_does() -> None:
    config = yaml.safe_load((CHECKOUT / "deploy" / "prometheus" / "prometheus.compose.yml").read_text())
    compose = yaml.safe_load((CHECKOUT / "docker-compose.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for kind in ("gateway", "registry", "checkin", "trace", "worker"):
        (names,) = [sd["names"] for sd in jobs[kind]["dns_sd_configs"]]
        assert names == [kind]
        assert kind in compose["services"]
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    mounted = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounted


def _targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for panel in dashboard["panels"] for target in panel.get("targets", [])]
