"""Prometheus's configuration for the local cluster, rendered from the same instances as nginx's pools: a job per
Procfile type that answers `/metrics`, a target per instance named after it (`checkin.2`), Prometheus itself and the
node exporter, and the alert rules of `deploy/prometheus/alerts.yml`. JSON is YAML, so Prometheus reads the file as it is written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Final

from lianfang.allinone.cluster.procfile import Instance
from lianfang.allinone.cluster.settings import ClusterSettings

__all__ = [
    "NODE",
    "OPTIONAL_PROGRAMS",
    "PROMETHEUS",
    "missing_programs",
    "prometheus_config",
    "write_prometheus_config",
]

PROMETHEUS: Final = "prometheus"
NODE: Final = "node"
# Procfile types the cluster runs only when Debian's package is installed (`deploy/install-packages.sh cluster`).
OPTIONAL_PROGRAMS: Final = {PROMETHEUS: "prometheus", NODE: "prometheus-node-exporter"}
SCRAPE_SECONDS: Final = 15


def missing_programs() -> list[str]:
    """The optional Procfile types whose program is not installed: the cluster runs without them."""
    return [kind for kind, program in OPTIONAL_PROGRAMS.items() if shutil.which(program) is None]


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
        if instance.kind in OPTIONAL_PROGRAMS
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
