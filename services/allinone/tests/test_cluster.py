"""`lianfang cluster`: the Procfile, the formation and its ports, and nginx's configuration rendered from the template.
The cluster itself runs in tests/e2e."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lianfang.allinone.cluster import ClusterSettings, instances, nginx_values, parse_procfile, render_template
from lianfang.allinone.cluster.environment import service_environment
from lianfang.allinone.cluster.nginx import brotli_values
from lianfang.allinone.cluster.prometheus import prometheus_config, write_prometheus_config

CHECKOUT = Path(__file__).resolve().parents[3]
PROCFILE = (CHECKOUT / "deploy" / "Procfile").read_text()
TEMPLATE = (CHECKOUT / "deploy" / "nginx.conf").read_text()


def settings(
    tmp_path: Path, formation: str = "nginx=1,gateway=2,registry=2,checkin=2,trace=2,worker=1"
) -> ClusterSettings:
    (tmp_path / "run").mkdir(exist_ok=True)
    return ClusterSettings(
        cluster_dir=tmp_path / "run",
        cluster_procfile=CHECKOUT / "deploy" / "Procfile",
        cluster_certificates=tmp_path / "certs",
        cluster_web_root=tmp_path,
        cluster_formation=formation,
    )


def test_the_procfile_names_nginx_every_service_the_worker_redis_prometheus_and_the_node_exporter() -> None:
    assert [name for name, _ in parse_procfile(PROCFILE)] == [
        "nginx",
        "gateway",
        "registry",
        "checkin",
        "trace",
        "worker",
        "redis",
        "prometheus",
        "node",
    ]


def test_a_line_without_a_name_is_refused() -> None:
    with pytest.raises(ValueError, match="Procfile line 2 is not `name: command`"):
        parse_procfile("# processes\nlianfang serve gateway\n")


def test_each_instance_gets_its_own_port_and_command(tmp_path: Path) -> None:
    chosen = instances(settings(tmp_path), PROCFILE, {"LIANFANG_CLUSTER_DIR": "/run/lf"})

    assert [(instance.name, instance.port) for instance in chosen] == [
        ("nginx.1", 9101),
        ("gateway.1", 9111),
        ("gateway.2", 9112),
        ("registry.1", 9121),
        ("registry.2", 9122),
        ("checkin.1", 9131),
        ("checkin.2", 9132),
        ("trace.1", 9141),
        ("trace.2", 9142),
        ("worker.1", 9151),
        ("redis.1", 9161),
        ("prometheus.1", 9171),
        ("node.1", 9181),
    ]
    assert chosen[5].argv == ("lianfang", "serve", "checkin", "--host", "127.0.0.1", "--port", "9131")
    assert chosen[0].argv == ("nginx", "-e", "stderr", "-p", "/run/lf/nginx/", "-c", "nginx.conf", "-g", "daemon off;")
    assert chosen[-3].argv == (
        "redis-server",
        *("--bind", "127.0.0.1", "--port", "9161", "--dir", "/run/lf/redis"),
        *("--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "yes"),
    )


def test_the_formation_sets_the_numbers(tmp_path: Path) -> None:
    chosen = instances(settings(tmp_path, "checkin=3,trace=0"), PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"})

    assert [instance.name for instance in chosen if instance.kind in ("checkin", "trace", "gateway")] == [
        "gateway.1",
        "checkin.1",
        "checkin.2",
        "checkin.3",
    ]


def test_a_formation_naming_an_unknown_process_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"names \['checkins'\], which the Procfile does not have"):
        instances(settings(tmp_path, "checkins=2"), PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"})


def test_the_pools_list_every_instance_with_passive_health(tmp_path: Path) -> None:
    chosen = instances(settings(tmp_path), PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"})

    values = nginx_values(settings(tmp_path), chosen)

    assert values["LIANFANG_NGINX_CHECKIN_SERVERS"] == (
        "server 127.0.0.1:9131 max_fails=3 fail_timeout=10s; server 127.0.0.1:9132 max_fails=3 fail_timeout=10s;"
    )
    assert values["LIANFANG_NGINX_INTERNAL_LISTEN"] == "127.0.0.1:9100"
    assert Path(values["LIANFANG_TLS_CERTIFICATE"]).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_the_template_fills_every_setting_and_leaves_nginx_variables_alone(tmp_path: Path) -> None:
    chosen = instances(settings(tmp_path), PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"})

    rendered = render_template(TEMPLATE, nginx_values(settings(tmp_path), chosen))

    assert re.findall(r"\$\{?LIANFANG_[A-Z]", rendered) == []
    assert "listen 8443 ssl http2 default_server;" in rendered
    assert "return 301 https://$host:8443$request_uri;" in rendered


def test_nginx_serves_the_brotli_copies_only_where_it_has_the_module(tmp_path: Path) -> None:
    chosen = instances(settings(tmp_path), PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"})
    module = tmp_path / "ngx_http_brotli_static_module.so"
    values = nginx_values(settings(tmp_path), chosen)

    without = directives(render_template(TEMPLATE, values | brotli_values(module)))
    module.touch()
    with_module = directives(render_template(TEMPLATE, values | brotli_values(module)))

    assert [line for line in without if line.startswith(("brotli", "load_module"))] == []
    assert with_module[0] == f"load_module {module};"
    assert with_module.count("brotli_static on;") == 2  # the admin SPA's assets and the H5 pages'
    assert without.count("gzip_static on;") == with_module.count("gzip_static on;") == 2


def directives(rendered: str) -> list[str]:
    return [line.strip() for line in rendered.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_a_missing_setting_is_named() -> None:
    with pytest.raises(ValueError, match="the nginx template needs LIANFANG_NGINX_HTTP_PORT"):
        render_template("listen ${LIANFANG_NGINX_HTTP_PORT}; set $x $host;", {})


@pytest.mark.skipif(
    shutil.which("nginx", path="/usr/sbin:/usr/bin:/usr/local/sbin") is None, reason="nginx not installed"
)
def test_nginx_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    chosen = instances(settings(tmp_path), PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"})
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(render_template(TEMPLATE, nginx_values(settings(tmp_path), chosen)))
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/usr/local/sbin")
    assert nginx is not None

    checked = subprocess.run(
        [nginx, "-e", "stderr", "-p", f"{prefix}/", "-c", "nginx.conf", "-t"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stderr


def test_the_cluster_runs_its_own_persistent_redis_unless_told_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = service_environment(settings(tmp_path))
    assert own["LIANFANG_REDIS_URL"] == "redis://127.0.0.1:9161/0"

    monkeypatch.setenv("LIANFANG_REDIS_URL", "redis://10.0.0.5:6379/2")
    assert service_environment(settings(tmp_path))["LIANFANG_REDIS_URL"] == "redis://10.0.0.5:6379/2"


def test_a_sharded_cluster_keeps_the_records_behind_the_spider_fronts(tmp_path: Path) -> None:
    sharded = settings(tmp_path).model_copy(
        update={"cluster_shards": 2, "cluster_shard_map": CHECKOUT / "deploy" / "shards.toml"}
    )

    env = service_environment(sharded)

    assert env["LIANFANG_RECORDS_DATABASE_URL"] == "mysql+asyncmy://root@127.0.0.1:3309/lianfang_cluster_records"
    assert env["LIANFANG_RECORDS_READ_DATABASE_URL"] == "mysql+asyncmy://root@127.0.0.1:3319/lianfang_cluster_records"
    assert env["LIANFANG_RECORDS_SHARD_MAP"] == str(CHECKOUT / "deploy" / "shards.toml")
    assert env["LIANFANG_REGISTRY_DATABASE_URL"] == "mysql+asyncmy://root@127.0.0.1:3306/lianfang_cluster_registry"


def test_prometheus_scrapes_every_process_of_the_formation_by_name(tmp_path: Path) -> None:
    cluster = settings(tmp_path, "nginx=1,gateway=1,registry=1,checkin=3,trace=2,worker=1")
    chosen = instances(cluster, PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"})

    config = prometheus_config(cluster, chosen)

    targets = {
        job["job_name"]: [(group["labels"]["instance"], *group["targets"]) for group in job["static_configs"]]
        for job in config["scrape_configs"]
    }
    assert targets == {
        "gateway": [("gateway.1", "127.0.0.1:9111")],
        "registry": [("registry.1", "127.0.0.1:9121")],
        "checkin": [("checkin.1", "127.0.0.1:9131"), ("checkin.2", "127.0.0.1:9132"), ("checkin.3", "127.0.0.1:9133")],
        "trace": [("trace.1", "127.0.0.1:9141"), ("trace.2", "127.0.0.1:9142")],
        "worker": [("worker.1", "127.0.0.1:9151")],
        "prometheus": [("prometheus.1", "127.0.0.1:9171")],
        "node": [("node.1", "127.0.0.1:9181")],
    }
    assert config["rule_files"] == [str(CHECKOUT / "deploy" / "prometheus" / "alerts.yml")]
    (prometheus,) = [instance for instance in chosen if instance.kind == "prometheus"]
    assert prometheus.argv[:2] == ("prometheus", "--config.file=/x/prometheus/prometheus.yml")
    assert "--web.listen-address=127.0.0.1:9171" in prometheus.argv
    (node,) = [instance for instance in chosen if instance.kind == "node"]
    assert node.argv[:2] == ("prometheus-node-exporter", "--web.listen-address=127.0.0.1:9181")


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (deploy/install-packages.sh test)")
def test_promtool_accepts_the_rendered_configuration_and_its_rules(tmp_path: Path) -> None:
    cluster = settings(tmp_path)
    path = write_prometheus_config(cluster, instances(cluster, PROCFILE, {"LIANFANG_CLUSTER_DIR": "/x"}))

    checked = subprocess.run(["promtool", "check", "config", str(path)], capture_output=True, text=True, check=False)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 18 rules found" in checked.stdout
