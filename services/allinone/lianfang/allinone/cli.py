"""`lianfang`: the all-in-one server, each service on its own, migrations and keys."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import ValidationError

from lianfang.common.observability import configure_logging
from lianfang.common.settings import SettingsError

__all__ = ["main"]

SERVICES = {
    "gateway": "lianfang.gateway.main:create_app",
    "registry": "lianfang.registry.main:create_app",
    "checkin": "lianfang.checkin.main:create_app",
    "trace": "lianfang.trace.main:create_app",
}


def _run(args: argparse.Namespace) -> None:
    from lianfang.allinone.server import run_allinone

    run_allinone(host=args.host, port=args.port, data_dir=Path(args.data_dir), demo=not args.no_demo)


def _serve(args: argparse.Namespace) -> None:
    _uvicorn(SERVICES[args.service], args)


def _worker(args: argparse.Namespace) -> None:
    _uvicorn("lianfang.ingest.main:create_app", args)


def _uvicorn(factory: str, args: argparse.Namespace) -> None:
    configure_logging(os.environ.get("LIANFANG_LOG_LEVEL", "INFO"))
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


def _migrate(args: argparse.Namespace) -> None:
    from lianfang.common.db.migrate import upgrade
    from lianfang.common.shards.migrate import migrate_sharded
    from lianfang.gateway.main import MIGRATIONS as ACCOUNTS
    from lianfang.gateway.settings import GatewaySettings
    from lianfang.ingest.main import MIGRATIONS as RECORDS
    from lianfang.ingest.settings import IngestSettings
    from lianfang.registry.main import MIGRATIONS as REGISTRY
    from lianfang.registry.settings import RegistrySettings
    from lianfang.trace.main import MIGRATIONS as TRACE
    from lianfang.trace.settings import TraceSettings

    records = IngestSettings()
    sharded = records.sharded_store()

    async def migrate() -> None:
        for name, migrations, url in (
            ("accounts", ACCOUNTS, GatewaySettings().accounts_database_url),
            ("registry", REGISTRY, RegistrySettings().registry_database_url),
            ("records", RECORDS, records.records_database_url),
            ("access log", TRACE, TraceSettings().trace_database_url),
        ):
            if name == "records" and sharded is not None:
                print(f"migrating the records store's {len(sharded.shard_map.nodes)} backends and defining its fronts")
                await migrate_sharded(replace(sharded, read_url=TraceSettings().records_read_url), migrations)
                continue
            print(f"migrating the {name} store")
            await upgrade(migrations, url)

    asyncio.run(migrate())


def _purge(args: argparse.Namespace) -> None:
    from lianfang.common.db import create_database
    from lianfang.ingest.retention import Purged, cutoff, purge
    from lianfang.ingest.settings import IngestSettings

    settings = IngestSettings()
    before = cutoff(args.days or settings.retention_days)

    async def run() -> None:
        purged = Purged(before)
        for url in settings.records_backends():
            database = create_database(url)
            try:
                purged += await purge(database.engine, before=before, batch_size=settings.retention_batch_size)
            finally:
                await database.dispose()
        print(f"purged what was checked in before {before.isoformat(timespec='seconds')}:")
        print(f"  monthly partitions dropped  {', '.join(purged.partitions) or 'none'}")
        print(f"  records deleted             {purged.records:,}")
        print(f"  check-in keys deleted       {purged.keys:,}")
        print(f"  stray decisions deleted     {purged.decisions:,}")
        print(f"  hourly counts deleted       {purged.hours:,}")
        print(f"  daily counts deleted        {purged.days:,}")

    asyncio.run(run())


def _rebuild_state(args: argparse.Namespace) -> None:
    from lianfang.checkin.projection.standalone import rebuild_state
    from lianfang.checkin.settings import CheckinSettings

    configure_logging(os.environ.get("LIANFANG_LOG_LEVEL", "WARNING"))
    settings = CheckinSettings()
    if not settings.records_database_url:
        sys.exit("lianfang: LIANFANG_RECORDS_DATABASE_URL is unset: the records store to rebuild from (its primary)")
    rebuilt = asyncio.run(rebuild_state(settings))
    if rebuilt is None:
        sys.exit("lianfang: another rebuild of the gate's state is running; the check-in instances wait for it")
    counts = rebuilt.counts
    print(f"rebuilt the gate's state in Redis from the records store in {rebuilt.seconds:.1f} s:")
    print(f"  records            {counts.records:,}")
    print(f"  receipts (24 h)    {counts.receipts:,}")
    print(f"  pending arrivals   {counts.pending:,}")
    print(f"  fever marks        {counts.fevers:,}")
    print(f"  temperatures       {counts.temperatures:,}")


def _demo_records(args: argparse.Namespace) -> None:
    from lianfang.allinone.demo_records import generate_records
    from lianfang.allinone.keys import key_settings
    from lianfang.common.settings import SigningSettings
    from lianfang.registry.settings import RegistrySettings

    # The data directory's keys (those `lianfang run` uses there), unless LIANFANG_* names others.
    keys = key_settings(Path(args.data_dir), os.environ)
    verifying: dict[str, Any] = {name: value for name, value in keys.items() if name != "jwt_private_key"}

    configure_logging(os.environ.get("LIANFANG_LOG_LEVEL", "WARNING"))
    started = time.perf_counter()

    def progress(written: int) -> None:
        if written % 500_000 < args.batch or written == args.records:
            rate = written / (time.perf_counter() - started)
            print(f"\r  {written:,} / {args.records:,} records ({rate:,.0f}/s)", end="", flush=True)

    generated = asyncio.run(
        generate_records(
            records=args.records,
            days=args.days,
            seed=args.seed,
            cities=args.cities,
            registry=RegistrySettings(**verifying),
            signing=SigningSettings(**keys),
            progress=progress,
        )
    )
    print(
        f"\n{generated.records:,} records at {generated.checkpoints:,} checkpoints by {generated.people:,} people "
        f"in {generated.seconds:.1f} s ({generated.rows_per_second:,.0f} records/s)"
    )


def _unlock(args: argparse.Namespace) -> None:
    from lianfang.common.cache import connect_cache
    from lianfang.gateway.sessions.lockout import unlock
    from lianfang.gateway.settings import GatewaySettings

    redis_url = GatewaySettings().redis_url
    if redis_url.startswith("memory:"):
        sys.exit(
            "lianfang: LIANFANG_REDIS_URL is memory://: the all-in-one server keeps login locks in its own memory, "
            "where they end with its restart (or after LIANFANG_LOGIN_LOCK_MINUTES); a superior's password reset "
            "lifts one too"
        )

    async def run() -> int:
        cache = connect_cache(redis_url)
        try:
            return await unlock(cache, args.username)
        finally:
            await cache.aclose()

    print(f"unlocked {args.username!r} ({asyncio.run(run())} addresses were locked or counting)")


def _keygen(args: argparse.Namespace) -> None:
    from lianfang.allinone.keys import generate_keys

    for name, value in generate_keys().items():
        print(f"{name}={value}")


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


def _backup(args: argparse.Namespace) -> None:
    from lianfang.allinone.backup import (
        BackupError,
        backup,
        export_rabbitmq,
        import_rabbitmq,
        restore,
        stores_from_environment,
    )

    stores = stores_from_environment(os.environ, Path(args.data_dir))
    folder = Path(args.directory)
    try:
        if args.command == "backup":
            manifest = backup(stores, folder)
            for dumped in manifest.stores:
                position = f" (binary log {dumped.binlog[0]}:{dumped.binlog[1]})" if dumped.binlog else ""
                print(f"{dumped.name:<12} {folder / dumped.file}{position}")
            if args.rabbitmq:
                print(f"{'rabbitmq':<12} {export_rabbitmq(folder)}")
            print(f"backup of {len(manifest.stores)} stores taken at {manifest.taken_at} in {folder}")
        else:
            restore(folder, stores)
            if args.rabbitmq:
                import_rabbitmq(folder)
            print(f"restored {', '.join(store.name for store in stores)} from {folder}")
    except BackupError as error:
        sys.exit(f"lianfang {args.command}: {error}")


def _openapi(args: argparse.Namespace) -> None:
    from lianfang.allinone.openapi import write_documents

    for path in write_documents(Path(args.directory)):
        print(path)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lianfang", description="Lianfang 联防联控服务与管理系统")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="the all-in-one server: every service, embedded backends, a demo")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--data-dir", default=".lianfang", help="where the SQLite stores live (default .lianfang)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo regions, accounts and checkpoints")
    run.set_defaults(handler=_run)

    serve = commands.add_parser("serve", help="one service on its own (the cluster), settings from LIANFANG_*")
    serve.add_argument("service", choices=sorted(SERVICES))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser(
        "worker", help="the ingest worker on its own (the cluster), with /healthz and /metrics"
    )
    worker.add_argument("--host", default="127.0.0.1")
    worker.add_argument("--port", type=int, default=8090)
    worker.add_argument("--workers", type=int, default=1, help="worker processes, each with its own consumer")
    worker.set_defaults(handler=_worker)

    migrate = commands.add_parser("migrate", help="apply every store's migrations (LIANFANG_*_DATABASE_URL)")
    migrate.set_defaults(handler=_migrate)

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

    purge = commands.add_parser(
        "purge", help="purge the records past LIANFANG_RETENTION_DAYS now (the ingest worker also does, hourly)"
    )
    purge.add_argument(
        "--days", type=_positive, help="keep this many days instead of LIANFANG_RETENTION_DAYS (default 30)"
    )
    purge.set_defaults(handler=_purge)

    rebuild = commands.add_parser(
        "rebuild-state",
        help="rebuild check-in's state in Redis (LIANFANG_REDIS_URL) from the records store (LIANFANG_RECORDS_"
        "DATABASE_URL) now; the check-in instances do it by themselves after Redis lost it",
    )
    rebuild.set_defaults(handler=_rebuild_state)

    demo = commands.add_parser(
        "demo-records",
        help="fill the records store (LIANFANG_RECORDS_DATABASE_URL) with realistic generated check-ins, and the "
        "registry with the regions and checkpoints they happened at",
    )
    demo.add_argument("--records", type=_positive, default=100_000, help="how many records (default 100,000)")
    demo.add_argument("--days", type=_positive, default=30, help="over the days before today (default 30)")
    demo.add_argument("--seed", type=int, default=2020, help="the same seed makes the same people and visits")
    demo.add_argument("--cities", type=_positive, default=3, help="cities of about 860 checkpoints each (default 3)")
    demo.add_argument(
        "--data-dir", default=".lianfang", help="whose keys encrypt the generated people (default .lianfang)"
    )
    demo.set_defaults(handler=_demo_records, batch=5000)

    openapi = commands.add_parser(
        "openapi", help="write each service's OpenAPI document (what `make types` generates the web pages' types from)"
    )
    openapi.add_argument("directory", nargs="?", default="web/shared/openapi", help="default web/shared/openapi")
    openapi.set_defaults(handler=_openapi)

    unlock = commands.add_parser(
        "unlock", help="lift the login lock of an admin or gate keeper from every address (LIANFANG_REDIS_URL)"
    )
    unlock.add_argument("username")
    unlock.set_defaults(handler=_unlock)

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

    for name, help_text in (
        (
            "backup",
            "back up every store into DIRECTORY: mariadb-dump of each MariaDB database (each shard's node too), SQLite's "
            "online backup of the all-in-one server's files",
        ),
        ("restore", "restore every store from a backup (stop the processes first; docs/OPERATIONS.md)"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("directory", help="where the backup is (or goes), with its manifest.json")
        command.add_argument(
            "--data-dir", default=".lianfang", help="the all-in-one server's, for stores LIANFANG_* does not name"
        )
        command.add_argument(
            "--rabbitmq",
            action="store_true",
            help="RabbitMQ's definitions too, with rabbitmqctl (run on the broker's host)",
        )
        command.set_defaults(handler=_backup)

    keygen = commands.add_parser("keygen", help="print a new token signing key pair and a PII key for production")
    keygen.set_defaults(handler=_keygen)
    return parser


def _reason(problem: Mapping[str, Any]) -> str:
    """Our own setting checks (`SettingsError`) already say what to fix; pydantic's own problems get the variable named."""
    cause = problem.get("ctx", {}).get("error")
    if isinstance(cause, SettingsError):
        return str(cause)
    return f"LIANFANG_{'_'.join(map(str, problem['loc'])).upper()}: {problem['msg']}"


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except ValidationError as error:
        sys.exit("lianfang: " + "\n".join(_reason(problem) for problem in error.errors()))
    except SettingsError as error:
        sys.exit(f"lianfang: {error}")
    except KeyboardInterrupt:
        pass
