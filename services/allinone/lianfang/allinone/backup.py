"""`lianfang backup` and `lianfang restore`: every SQL store, each into a file of its own, with a manifest.

A MariaDB store is dumped with `mariadb-dump --single-transaction` (a consistent snapshot without locking the tables
writers use); where the server writes a binary log the dump records its position at the snapshot, from which
`replay_binlog` brings a restored store up to the moment of a loss. A SQLite file (the all-in-one server) is copied
with SQLite's online backup, a consistent page-by-page copy while the server writes; its in-process broker's journal
(`broker.db`: check-ins confirmed and not yet stored) is copied first, before the stores. Redis is not backed up: it is a
projection of the records store and rebuilds by itself. RabbitMQ's definitions (users, vhosts, permissions, policies,
queues) are exported with `rabbitmqctl export_definitions` on its host and imported into a new server with
`import_definitions`; Lianfang's own exchanges and queues are declared again by the services at start anyway.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import URL, make_url

from lianfang.common.shards import ShardedStore, ShardMap

__all__ = [
    "RABBITMQ_DEFINITIONS",
    "BackupError",
    "Manifest",
    "Store",
    "backup",
    "export_rabbitmq",
    "import_rabbitmq",
    "replay_binlog",
    "restore",
    "stores_from_environment",
]

MANIFEST = "manifest.json"
RABBITMQ_DEFINITIONS = "rabbitmq-definitions.json"
_POSITION = re.compile(r"MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+)")


class BackupError(RuntimeError):
    """A tool failed; the message has its own words."""


@dataclass(frozen=True)
class Store:
    """One database to back up: `name` is the file's name in the backup (`records`, `records.s1` …)."""

    name: str
    url: str


@dataclass(frozen=True)
class Dumped:
    name: str
    file: str
    kind: str  # "mariadb" or "sqlite"
    database: str
    # The binary log position of the snapshot (file, offset), when the server writes one.
    binlog: tuple[str, int] | None = None


@dataclass(frozen=True)
class Manifest:
    taken_at: str
    stores: list[Dumped]

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        raw = json.loads((folder / MANIFEST).read_text())
        return cls(
            raw["taken_at"],
            [
                Dumped(**{**store, "binlog": tuple(store["binlog"]) if store["binlog"] else None})
                for store in raw["stores"]
            ],
        )


def stores_from_environment(environ: Mapping[str, str], data_dir: Path) -> list[Store]:
    """The stores the services use: `LIANFANG_*_DATABASE_URL`, else the all-in-one server's files in `data_dir`; a
    sharded records store (`LIANFANG_RECORDS_SHARD_MAP`) is each node's database on its shard's primary.

    The in-process broker's journal comes first. A check-in leaves it only once the records store committed it, so
    with the journal copied before the records store every check-in confirmed before that copy is in one of the two
    (one stored between the copies is in both; the worker's keys store it once after a restore). The other order loses
    what is stored and acked between the copies."""
    journal = _broker_journal(environ.get("LIANFANG_BROKER_URL"), data_dir)
    stores = [] if journal is None else [Store("broker", f"sqlite+aiosqlite:///{journal}")]
    for name in ("accounts", "registry", "records", "trace"):
        url = environ.get(f"LIANFANG_{name.upper()}_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / f'{name}.db'}"
        shard_map = environ.get("LIANFANG_RECORDS_SHARD_MAP")
        if name == "records" and shard_map:
            sharded = ShardedStore(ShardMap.load(Path(shard_map)), url, url)
            stores += [Store(f"records.{node}", backend) for node, backend in sharded.backend_urls().items()]
        else:
            stores.append(Store(name, url))
    return stores


def _broker_journal(broker_url: str | None, data_dir: Path) -> Path | None:
    """The journal of the in-process broker: the all-in-one server's `broker.db` unless `LIANFANG_BROKER_URL` names
    another broker (RabbitMQ keeps its messages itself; a `memory://` URL without `journal` keeps none)."""
    if not broker_url:
        return data_dir / "broker.db"
    parts = urlsplit(broker_url)
    journal = parse_qs(parts.query).get("journal") if parts.scheme == "memory" else None
    return Path(journal[0]) if journal else None


def backup(stores: Sequence[Store], folder: Path) -> Manifest:
    """Each store in the order given (`stores_from_environment` says why the broker's journal is first)."""
    folder.mkdir(parents=True, exist_ok=True)
    taken_at = datetime.now(UTC).isoformat(timespec="seconds")
    dumped = [_backup_one(store, folder) for store in stores]
    manifest = Manifest(taken_at, dumped)
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False) + "\n")
    return manifest


def restore(folder: Path, stores: Sequence[Store], *, only: Collection[str] = ()) -> list[str]:
    """Each store of the backup (or those `only` names) into the store of the same name (its database made when
    missing, its tables replaced); the names restored. A SQLite file is written in place: stop the server first.

    `only` is for one lost server (a shard's primary, say): restoring every store would put the others back to the
    night too, losing what they stored since."""
    manifest = Manifest.read(folder)
    unknown = sorted(set(only) - {dumped.name for dumped in manifest.stores})
    if unknown:
        raise BackupError(f"the backup holds no {', '.join(unknown)}")
    chosen = [dumped for dumped in manifest.stores if not only or dumped.name in only]
    targets = {store.name: store for store in stores}
    missing = sorted({dumped.name for dumped in chosen} - set(targets))
    if missing:
        raise BackupError(f"the backup holds {', '.join(missing)}, which the settings do not name")
    for dumped in chosen:
        target = make_url(targets[dumped.name].url)
        if dumped.kind == "sqlite":
            assert target.database is not None
            _copy_sqlite(folder / dumped.file, Path(target.database))
            continue
        database = target.database or dumped.database
        _run(
            [*_client("mariadb", target), "-e", f"CREATE DATABASE IF NOT EXISTS `{database}`"],
            f"creating {database}",
            target,
        )
        with (folder / dumped.file).open("rb") as dump:
            _run([*_client("mariadb", target), database], f"restoring {dumped.name}", target, stdin=dump)
    return [dumped.name for dumped in chosen]


def replay_binlog(binlogs: Sequence[Path], start: tuple[str, int], url: str, *, database: str) -> None:
    """Apply to the store at `url` what the binary logs hold after the snapshot's position, for `database` alone (a
    restore to the moment of a loss). `binlogs` are the primary's files in order, the snapshot's first."""
    names = [path.name for path in binlogs]
    if start[0] not in names:
        raise BackupError(f"the snapshot's binary log {start[0]} is not among {', '.join(names)}")
    wanted = binlogs[names.index(start[0]) :]
    decoded = subprocess.run(  # noqa: S603
        [_tool("mariadb-binlog"), f"--start-position={start[1]}", f"--database={database}", *map(str, wanted)],
        capture_output=True,
        check=False,
    )
    if decoded.returncode != 0:
        raise BackupError(f"mariadb-binlog failed: {decoded.stderr.decode(errors='replace').strip()}")
    target = make_url(url)
    _run(_client("mariadb", target), "replaying the binary log", target, stdin=decoded.stdout)


def export_rabbitmq(folder: Path) -> Path:
    """RabbitMQ's definitions, through `rabbitmqctl` on the broker's own host (it holds the node's cookie). Written from
    its standard output: Debian's rabbitmqctl runs as the `rabbitmq` user, who may not see the backup's folder."""
    path = folder / RABBITMQ_DEFINITIONS
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        _run(
            [_tool("rabbitmqctl"), "-q", "export_definitions", "-"],
            "exporting RabbitMQ's definitions",
            None,
            stdout=out,
        )
    return path


def import_rabbitmq(folder: Path) -> None:
    """RabbitMQ's definitions into the broker of this host. rabbitmqctl 3.10 reads them only from a file ("-" is refused
    as a file that does not exist), as the `rabbitmq` user Debian's wrapper switches to: a private copy is handed to
    that user (the definitions hold password hashes) for the import."""
    with tempfile.TemporaryDirectory(prefix="lianfang-definitions-") as scratch:
        copy = Path(scratch) / RABBITMQ_DEFINITIONS
        shutil.copyfile(folder / RABBITMQ_DEFINITIONS, copy)
        copy.chmod(0o600)
        _hand_to_rabbitmq_user(Path(scratch), copy)
        _run([_tool("rabbitmqctl"), "-q", "import_definitions", str(copy)], "importing RabbitMQ's definitions", None)


def _hand_to_rabbitmq_user(*paths: Path) -> None:
    if os.geteuid() != 0:
        return  # rabbitmqctl runs as the caller, who owns the copy
    try:
        user = pwd.getpwnam("rabbitmq")
    except KeyError:
        return
    for path in paths:
        os.chown(path, user.pw_uid, user.pw_gid)


def _backup_one(store: Store, folder: Path) -> Dumped:
    url = make_url(store.url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        file = f"{store.name}.db"
        _copy_sqlite(Path(database), folder / file)
        return Dumped(store.name, file, "sqlite", database)
    file = f"{store.name}.sql"
    arguments = ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--skip-comments"]
    if _binlog_on(url):
        arguments += ["--master-data=2"]
    with (folder / file).open("wb") as out:
        _run([*_client("mariadb-dump", url), *arguments, database], f"dumping {store.name}", url, stdout=out)
    return Dumped(store.name, file, "mariadb", database, _position(folder / file))


def _copy_sqlite(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    partial.unlink(missing_ok=True)
    origin, copy = sqlite3.connect(source), sqlite3.connect(partial)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(partial, target)


def _binlog_on(url: URL) -> bool:
    done = subprocess.run(  # noqa: S603
        [*_client("mariadb", url), "-N", "-B", "-e", "SELECT @@log_bin"],
        capture_output=True,
        text=True,
        env=_environment(url),
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"cannot reach {url.host}:{url.port}: {done.stderr.strip()}")
    return done.stdout.strip() == "1"


def _position(dump: Path) -> tuple[str, int] | None:
    """The `-- CHANGE MASTER TO …` line `--master-data=2` writes near the top of the dump."""
    with dump.open("rb") as lines:
        for number, raw in enumerate(lines):
            found = _POSITION.search(raw.decode(errors="replace"))
            if found:
                return found.group(1), int(found.group(2))
            if number > 200:
                break
    return None


def _client(tool: str, url: URL) -> list[str]:
    return [
        _tool(tool),
        f"--host={url.host or '127.0.0.1'}",
        f"--port={url.port or 3306}",
        f"--user={url.username or 'root'}",
    ]


def _environment(url: URL | None) -> dict[str, str]:
    """The password through the environment, not the command line every user's `ps` shows."""
    if url is not None and url.password:
        return {**os.environ, "MYSQL_PWD": url.password}
    return dict(os.environ)


def _tool(name: str) -> str:
    found = shutil.which(name, path="/usr/bin:/usr/local/bin:/usr/sbin")
    if found is None:
        package = "rabbitmq-server" if name == "rabbitmqctl" else "mariadb-client"
        raise BackupError(f"{name} is not installed (Debian: apt-get install {package})")
    return found


def _run(
    command: list[str],
    what: str,
    url: URL | None,
    *,
    stdin: IO[bytes] | bytes | None = None,
    stdout: IO[bytes] | None = None,
) -> None:
    done = subprocess.run(  # noqa: S603
        command,
        stdin=None if stdin is None or isinstance(stdin, bytes) else stdin,
        input=stdin if isinstance(stdin, bytes) else None,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(url),
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.decode(errors='replace').strip()}")
