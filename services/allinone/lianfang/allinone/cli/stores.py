"""Commands on the stores' contents: migrations, the retention purge, the gate's state in Redis, generated records."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from lianfang.allinone.cli.arguments import Commands, log_to_console, positive

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    migrate = commands.add_parser("migrate", help="apply every store's migrations (LIANFANG_*_DATABASE_URL)")
    migrate.set_defaults(handler=_migrate)

    purge = commands.add_parser(
        "purge", help="purge the records past LIANFANG_RETENTION_DAYS now (the ingest worker also does, hourly)"
    )
    purge.add_argument(
        "--days", type=positive, help="keep this many days instead of LIANFANG_RETENTION_DAYS (default 30)"
    )
    purge.set_defaults(handler=_purge)

    rebuild = commands.add_parser(
        "rebuild-state",
        help="rebuild check-in's state in Redis (LIANFANG_REDIS_URL) from the records store (LIANFANG_RECORDS_"
        "DATABASE_URL) now; the check-in instances do it by themselves after Redis lost it",
    )
    rebuild.set_defaults(handler=_rebuild_state)
    _add_demo_records(commands)


def _add_demo_records(commands: Commands) -> None:
    demo = commands.add_parser(
        "demo-records",
        help="fill the records store (LIANFANG_RECORDS_DATABASE_URL) with realistic generated check-ins, and the "
        "registry with the regions and checkpoints they happened at",
    )
    demo.add_argument("--records", type=positive, default=100_000, help="how many records (default 100,000)")
    demo.add_argument("--days", type=positive, default=30, help="over the days before today (default 30)")
    demo.add_argument("--seed", type=int, default=2020, help="the same seed makes the same people and visits")
    demo.add_argument("--cities", type=positive, default=3, help="cities of about 860 checkpoints each (default 3)")
    demo.add_argument(
        "--data-dir",
        default=".lianfang",
        help="the all-in-one server's data directory: its keys encrypt the generated people and its SQLite files take "
        "them, unless LIANFANG_RECORDS_DATABASE_URL and LIANFANG_REGISTRY_DATABASE_URL name other stores "
        "(default .lianfang)",
    )
    demo.set_defaults(handler=_demo_records, batch=5000)


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

    log_to_console("WARNING")
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
    print(f"  离开提醒 scheduled  {counts.reminders:,}")


def _demo_records(args: argparse.Namespace) -> None:
    from lianfang.allinone.demo_records import generate_records
    from lianfang.allinone.keys import key_settings
    from lianfang.allinone.settings import sqlite_unless_set
    from lianfang.common.settings import SigningSettings
    from lianfang.registry.settings import RegistrySettings

    # The data directory's keys and stores (those `lianfang run` uses there), unless LIANFANG_* names others.
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = key_settings(data_dir, os.environ)
    records = sqlite_unless_set("LIANFANG_RECORDS_DATABASE_URL", data_dir / "records.db")
    registry = sqlite_unless_set("LIANFANG_REGISTRY_DATABASE_URL", data_dir / "registry.db")
    verifying: dict[str, Any] = {name: value for name, value in keys.items() if name != "jwt_private_key"}

    log_to_console("WARNING")
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
            records_url=records.get("records_database_url"),
            registry=RegistrySettings(**registry, **verifying),
            signing=SigningSettings(**keys),
            progress=progress,
        )
    )
    print(
        f"\n{generated.records:,} records at {generated.checkpoints:,} checkpoints by {generated.people:,} people "
        f"in {generated.seconds:.1f} s ({generated.rows_per_second:,.0f} records/s)"
    )
