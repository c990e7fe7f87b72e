"""`lianfang backup` and `lianfang restore`: every store, and RabbitMQ's definitions on request."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lianfang.allinone.cli.arguments import Commands

__all__ = ["add_commands"]

_HELP = {
    "backup": "back up every store into DIRECTORY: mariadb-dump of each MariaDB database (each shard's node too), "
    "SQLite's online backup of the all-in-one server's files (its broker's journal first)",
    "restore": "restore every store from a backup (stop the processes first; docs/OPERATIONS.md)",
}


def add_commands(commands: Commands) -> None:
    for name, help_text in _HELP.items():
        command = commands.add_parser(name, help=help_text)
        command.add_argument("directory", help="where the backup is (or goes), with its manifest.json")
        command.add_argument(
            "--data-dir", default=".lianfang", help="the all-in-one server's, for stores LIANFANG_* does not name"
        )
        if name == "restore":
            command.add_argument(
                "--store",
                action="append",
                default=[],
                metavar="NAME",
                help="only this store of the backup (repeatable: records.s2, accounts …); the others are left as they are",
            )
        command.add_argument(
            "--rabbitmq",
            action="store_true",
            help="RabbitMQ's definitions too, with rabbitmqctl (run on the broker's host)",
        )
        command.set_defaults(handler=_backup)


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
            restored = restore(folder, stores, only=args.store)
            if args.rabbitmq:
                import_rabbitmq(folder)
            print(f"restored {', '.join(restored)} from {folder}")
    except BackupError as error:
        sys.exit(f"lianfang {args.command}: {error}")
