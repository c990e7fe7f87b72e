"""The sharded records store on this machine: each shard's primary and its GTID replica, a Spider write front over the
primaries and a read front over the replicas, each a `mariadbd --no-defaults` in its own data directory under the
run directory (`mariadb/<name>/`), made by `mariadb-install-db` on first use.

`up` starts whichever is not running and sets up replication where it is missing, so it may run again at any time;
`down` stops only the servers it started (found by pid file and data directory). The machine's own server is never
touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lianfang.allinone.cluster.processes import alive, read_pid
from lianfang.allinone.cluster.settings import ClusterSettings
from lianfang.common.shards import Address, ShardMap

__all__ = ["Server", "servers", "topology_down", "topology_status", "topology_up"]

_STOP_SECONDS = 60.0
_READY_SECONDS = 90.0


@dataclass(frozen=True)
class Server:
    name: str
    address: Address
    server_id: int
    # The primary a replica follows; None for the others.
    source: Address | None = None
    front: bool = False
    # Fronts commit across shards atomically; the read front only reads.
    internal_xa: bool = False

    def datadir(self, run_dir: Path) -> Path:
        return run_dir / "mariadb" / self.name

    def marker(self, run_dir: Path) -> str:
        return f"--datadir={self.datadir(run_dir) / 'data'}"


def servers(settings: ClusterSettings) -> list[Server]:
    shard_map = ShardMap.load(settings.cluster_shard_map)
    if settings.cluster_shards not in (0, len(shard_map.shards)):
        raise ValueError(
            f"LIANFANG_CLUSTER_SHARDS={settings.cluster_shards}, but {settings.cluster_shard_map} has "
            f"{len(shard_map.shards)} shards"
        )
    chosen = []
    for number, shard in enumerate(shard_map.shards, start=1):
        chosen.append(Server(f"{shard.name}-primary", shard.primary, 10 + number))
        chosen.append(Server(f"{shard.name}-replica", shard.replica, 20 + number, source=shard.primary))
    chosen.append(Server("write-front", Address.parse(settings.cluster_write_front), 1, front=True, internal_xa=True))
    chosen.append(Server("read-front", Address.parse(settings.cluster_read_front), 2, front=True))
    return chosen


def _command(server: Server, settings: ClusterSettings) -> list[str]:
    folder = server.datadir(settings.run_dir)
    command = [
        _tool("mariadbd"),
        "--no-defaults",
        f"--datadir={folder / 'data'}",
        f"--user={getpass.getuser()}",
        f"--bind-address={server.address.host}",
        f"--port={server.address.port}",
        f"--socket={folder / 'mariadbd.sock'}",
        f"--tmpdir={folder / 'tmp'}",
        f"--pid-file={folder / 'mariadbd.pid'}",
        f"--log-error={folder / 'error.log'}",
        f"--server-id={server.server_id}",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        "--default-time-zone=+00:00",
        "--skip-name-resolve",
        f"--innodb-buffer-pool-size={settings.cluster_mariadb_buffer_pool}",
        "--max-connections=500",
    ]
    if server.front:
        command += [
            "--plugin-load-add=ha_spider.so",
            f"--spider-internal-xa={int(server.internal_xa)}",
            # A multi-row upsert naming only some columns (the rollups') fails on existing rows without it.
            "--spider-direct-dup-insert=1",
            # Aggregates pushed down over OR-ed ranges fail (MariaDB 10.11: `Unknown column … in 'ORDER BY'`).
            "--spider-direct-aggregate=0",
            "--spider-connect-timeout=2",
            # A LIMIT over the shards reads that many rows from each, not twice as many (the default): a first page's
            # count, capped at 10,001, read 20,002 rows from every shard.
            "--spider-semi-split-read=1",
            # Table statistics are read from every shard once, not again every 10 and 51 s: a refresh that meets a dead
            # shard fails the statement, however few shards it needs (and the background refresh crashes 10.11).
            "--spider-sts-interval=2147483647",
            "--spider-crd-interval=2147483647",
        ]
    else:
        command += ["--log-bin=binlog", "--binlog-format=ROW", "--gtid-strict-mode=1", "--log-slave-updates=1"]
    if server.source is not None:
        command.append("--read-only=1")
    return command


def _tool(name: str) -> str:
    found = shutil.which(name, path="/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin")
    if found is None:
        raise FileNotFoundError(f"{name} is not installed: apt-get install mariadb-server mariadb-plugin-spider")
    return found


def _running(server: Server, run_dir: Path) -> int | None:
    pid = read_pid(server.datadir(run_dir) / "mariadbd.pid")
    return pid if pid is not None and alive(pid, server.marker(run_dir)) else None


def _start(server: Server, settings: ClusterSettings) -> None:
    folder = server.datadir(settings.run_dir)
    # Its own temporary folder: in /tmp, another server's leftovers of the same name break the installation.
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    installed = folder / "installed"
    if not installed.exists():
        shutil.rmtree(folder / "data", ignore_errors=True)
        with (folder / "install.log").open("w") as log:
            subprocess.run(  # noqa: S603
                [
                    _tool("mariadb-install-db"),
                    "--no-defaults",
                    f"--datadir={folder / 'data'}",
                    f"--tmpdir={folder / 'tmp'}",
                    f"--user={getpass.getuser()}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )
        installed.touch()
    if server.front and not Path("/usr/lib/mysql/plugin/ha_spider.so").exists():
        raise FileNotFoundError("the Spider engine is not installed: apt-get install mariadb-plugin-spider")
    with (folder / "mariadbd.out").open("ab") as log:
        subprocess.Popen(  # noqa: S603
            _command(server, settings),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _url(address: Address) -> str:
    return f"mysql+asyncmy://root@{address.host}:{address.port}/"


async def _answers(address: Address) -> bool:
    engine = create_async_engine(_url(address), poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def _replicate(server: Server) -> None:
    """Make the replica follow its primary by GTID from the start of the primary's binary log, unless it does."""
    assert server.source is not None
    engine = create_async_engine(_url(server.address), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            if (await connection.execute(text("SHOW SLAVE STATUS"))).first() is not None:
                return
            await connection.execute(
                text(
                    f"CHANGE MASTER TO MASTER_HOST='{server.source.host}', MASTER_PORT={server.source.port}, "
                    "MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1"
                )
            )
            await connection.execute(text("START SLAVE"))
    finally:
        await engine.dispose()


async def _until_ready(chosen: list[Server]) -> list[str]:
    waiting = {server.name: server for server in chosen}
    deadline = time.monotonic() + _READY_SECONDS
    while waiting and time.monotonic() < deadline:
        for name, server in list(waiting.items()):
            if await _answers(server.address):
                del waiting[name]
        if waiting:
            await asyncio.sleep(0.3)
    return sorted(waiting)


def topology_up(settings: ClusterSettings) -> int:
    run_dir = settings.run_dir
    chosen = servers(settings)
    started = [server for server in chosen if _running(server, run_dir) is None]
    for server in started:
        _start(server, settings)
    waiting = asyncio.run(_until_ready(chosen))
    if waiting:
        for name in waiting:
            log = run_dir / "mariadb" / name / "error.log"
            print(f"shards: {name} does not answer; its log is {log}", flush=True)
        return 1

    async def replicate() -> None:
        for server in chosen:
            if server.source is not None:
                await _replicate(server)

    asyncio.run(replicate())
    names = ", ".join(f"{server.name} {server.address}" for server in chosen)
    print(f"shards: {'started ' + str(len(started)) if started else 'all running'} ({names})", flush=True)
    return 0


def topology_down(settings: ClusterSettings, only: list[str] | None = None) -> int:
    """Stop the servers (those named in `only`, else all); each shuts down cleanly on SIGTERM."""
    run_dir = settings.run_dir
    stopping = [
        (server, pid)
        for server in servers(settings)
        if (only is None or server.name in only) and (pid := _running(server, run_dir)) is not None
    ]
    for _, pid in stopping:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_SECONDS
    for server, pid in stopping:
        while time.monotonic() < deadline and alive(pid, server.marker(run_dir)):
            time.sleep(0.2)
        if alive(pid, server.marker(run_dir)):
            _signal(pid, signal.SIGKILL)
    if stopping:
        print(f"shards: stopped {', '.join(server.name for server, _ in stopping)}", flush=True)
    return 0


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def topology_status(settings: ClusterSettings) -> dict[str, int | None]:
    """Each server's pid, None when it is not running."""
    return {server.name: _running(server, settings.run_dir) for server in servers(settings)}
