"""Commands that start, stop and watch processes: the all-in-one server, each service, the local cluster and shards."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import uvicorn

from lianfang.allinone.cli.arguments import Commands, log_to_console

__all__ = ["SERVICES", "add_commands"]

SERVICES = {
    "gateway": "lianfang.gateway.main:create_app",
    "registry": "lianfang.registry.main:create_app",
    "checkin": "lianfang.checkin.main:create_app",
    "trace": "lianfang.trace.main:create_app",
}


def add_commands(commands: Commands) -> None:
    _add_servers(commands)
    _add_local_cluster(commands)
    _add_status(commands)


def _add_servers(commands: Commands) -> None:
    run = commands.add_parser("run", help="the all-in-one server: every service, embedded backends, a demo")
    _add_address(run, port=8000)
    run.add_argument("--data-dir", default=".lianfang", help="where the SQLite stores live (default .lianfang)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo regions, accounts and checkpoints")
    run.set_defaults(handler=_run)

    serve = commands.add_parser("serve", help="one service on its own (the cluster), settings from LIANFANG_*")
    serve.add_argument("service", choices=sorted(SERVICES))
    _add_address(serve, port=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser(
        "worker", help="the ingest worker on its own (the cluster), with /healthz and /metrics"
    )
    _add_address(worker, port=8090)
    worker.add_argument("--workers", type=int, default=1, help="worker processes, each with its own consumer")
    worker.set_defaults(handler=_worker)


def _add_address(command: argparse.ArgumentParser, *, port: int) -> None:
    command.add_argument("--host", default="127.0.0.1")
    command.add_argument("--port", type=int, default=port)


def _add_local_cluster(commands: Commands) -> None:
    cluster = commands.add_parser(
        "cluster",
        help="the cluster on this machine: nginx and every service's processes (deploy/Procfile), in the background",
        description="up: prepare and start, then wait until every process answers; down: stop what up started; "
        "status: the running processes. Settings from LIANFANG_* (see lianfang/allinone/cluster/settings.py).",
    )
    cluster.add_argument("action", choices=["up", "down", "status", "supervise"])
    cluster.add_argument("--run-dir", default=".cluster", help=argparse.SUPPRESS)
    cluster.set_defaults(handler=_cluster)

    shards = commands.add_parser(
        "shards",
        help="the sharded records store on this machine (deploy/shards.toml), and MyCat's and ShardingSphere's files",
        description="up: start each shard's primary and replica and the Spider write and read fronts (what is not "
        "running); down [SERVER…]: stop them (or only those named, e.g. s2-primary); status: their pids; render: write "
        "deploy/mycat/ and deploy/shardingsphere/ from the map.",
    )
    shards.add_argument("action", choices=["up", "down", "status", "render"])
    shards.add_argument("servers", nargs="*", help="down: only these servers")
    shards.add_argument(
        "--map", default="deploy/shards.toml", help="render: the shard map (default deploy/shards.toml)"
    )
    shards.add_argument(
        "--deploy", default="deploy", help="render: where mycat/ and shardingsphere/ go (default deploy)"
    )
    shards.set_defaults(handler=_shards)


def _add_status(commands: Commands) -> None:
    status = commands.add_parser(
        "status",
        help="the on-call's figures on one screen, read from every process's /metrics and /readyz (no Prometheus needed)",
    )
    status.add_argument(
        "--url",
        action="append",
        help="a process to read (repeat for each; the all-in-one server is one); default: the local cluster's processes",
    )
    status.add_argument("--run-dir", default=".cluster", help="the local cluster's directory (default .cluster)")
    status.add_argument(
        "--interval", type=float, default=5.0, help="seconds between the two readings rates come from (default 5)"
    )
    status.set_defaults(handler=_status)


def _run(args: argparse.Namespace) -> None:
    from lianfang.allinone.server import run_allinone

    run_allinone(host=args.host, port=args.port, data_dir=Path(args.data_dir), demo=not args.no_demo)


def _serve(args: argparse.Namespace) -> None:
    _uvicorn(SERVICES[args.service], args)


def _worker(args: argparse.Namespace) -> None:
    _uvicorn("lianfang.ingest.main:create_app", args)


def _uvicorn(factory: str, args: argparse.Namespace) -> None:
    log_to_console("INFO")
    uvicorn.run(
        factory,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips="*",
    )


def _cluster(args: argparse.Namespace) -> None:
    from lianfang.allinone import cluster

    settings = cluster.ClusterSettings()
    if args.action == "supervise":
        sys.exit(cluster.supervise(Path(args.run_dir)))
    handlers = {"up": cluster.cluster_up, "down": cluster.cluster_down, "status": cluster.print_state}
    sys.exit(handlers[args.action](settings))


def _shards(args: argparse.Namespace) -> None:
    from lianfang.allinone.cluster import ClusterSettings, topology

    if args.action == "render":
        from lianfang.allinone.shards import render

        for path in render(Path(args.map), Path(args.deploy)):
            print(f"wrote {path}")
        return
    settings = ClusterSettings()
    if args.action == "up":
        sys.exit(topology.topology_up(settings))
    if args.action == "down":
        sys.exit(topology.topology_down(settings, args.servers or None))
    print(json.dumps(topology.topology_status(settings), indent=2))


def _status(args: argparse.Namespace) -> None:
    from lianfang.allinone.oncall import Process, cluster_processes, read_all, render

    if args.url:
        processes = [Process(url.rstrip("/").rpartition("/")[2], url.rstrip("/")) for url in args.url]
    else:
        processes = cluster_processes(Path(args.run_dir))
    if not processes:
        sys.exit(
            f"lianfang status: no process found in {args.run_dir}/pids; start the cluster, or name each with --url"
        )
    readings = asyncio.run(read_all(processes, interval=args.interval))
    print(render(readings))
    if any(reading.ready != "ready" for reading in readings):
        sys.exit(1)
