"""Prometheus's configuration for the local cluster, rendered from the same instances as nginx's pools: a job per
Procfile type that answers `/metrics`, a target per instance named after it (`checkin.2`), and the alert rules of
`deploy/prometheus/alerts.yml`. JSON is YAML, so Prometheus reads the file as it is written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Final

from lianfang.allinone.cluster.procfile import Instance
from lianfang.allinone.cluster.settings import ClusterSettings

__all__ = ["PROMETHEUS", "prometheus_available", "prometheus_config", "write_prometheus_config"]

PROMETHEUS: Final = "prometheus"
SCRAPE_SECONDS: Final = 15


def prometheus_available() -> bool:
    """Debian's `prometheus` package (`deploy/install-packages.sh cluster` installs it): without it the cluster runs none."""
    return shutil.which(PROMETHEUS) is not None


def prometheus_config(settings: ClusterSettings, chosen: list[Instance]) -> dict[str, Any]:
    jobs: dict[str, list[Instance]] = {}
    for instance in chosen:
        if instance.serves_http:
            jobs.setdefault(instance.kind, []).append(instance)
    scrape_configs: list[dict[str, Any]] = [
        {
            "job_name": kind,
            "static_configs": [
                {"targets": [f"127.0.0.1:{instance.port}"], "labels": {"instance": instance.name}}
                for instance in members
            ],
        }
        for kind, members in jobs.items()
    ]
    scrape_configs += [
        {
            "job_name": instance.kind,
            "static_configs": [{"targets": [f"127.0.0.1:{instance.port}"], "labels": {"instance": instance.name}}],
        }
        for instance in chosen
        if instance.kind == PROMETHEUS
    ]
    return {
        "global": {
            "scrape_interval": f"{SCRAPE_SECONDS}s",
            "evaluation_interval": f"{SCRAPE_SECONDS}s",
            "external_labels": {"cluster": "local"},
        },
        "rule_files": [str(settings.cluster_prometheus_rules.resolve())],
        "scrape_configs": scrape_configs,
    }


def write_prometheus_config(settings: ClusterSettings, chosen: list[Instance]) -> Path:
    folder = settings.run_dir / PROMETHEUS
    (folder / "data").mkdir(parents=True, exist_ok=True)
    path = folder / "prometheus.yml"
    path.write_text(json.dumps(prometheus_config(settings, chosen), indent=2) + "\n")
    return path
