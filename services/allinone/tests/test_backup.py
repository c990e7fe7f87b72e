"""Backups that restore (docs/OPERATIONS.md, "Backup and restore").

The drill: check-ins stream into RabbitMQ and the ingest worker stores them in a records store on a MariaDB server of
the test's own, writing a binary log, beside the accounts, registry and trace stores; `lianfang backup` dumps them
in the middle of the stream; the stream goes on, the
worker stops, more check-ins wait in the queue; then the server is given up for lost. A fresh server, started by the
test, gets the dumps, the binary log from the records dump's position, and the queue drained into it by a new worker.
It must hold every check-in RabbitMQ confirmed, each once, and the other stores as they were.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import shutil
import socket
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from lianfang.allinone.backup import (
    BackupError,
    Manifest,
    Store,
    backup,
    export_rabbitmq,
    replay_binlog,
    restore,
    stores_from_environment,
)
from lianfang.allinone.cli import main
from lianfang.common.contracts.events import (
    Ancestry,
    CheckinCreated,
    Direction,
    PersonalData,
    RecordStatus,
    TemperatureSource,
    created_routing_key,
)
from lianfang.common.db import create_database
from lianfang.common.db.migrate import upgrade
from lianfang.common.ids import new_id
from lianfang.common.messaging import Binding, Exchange, ExchangeType, Queue, Topology, connect_broker
from lianfang.common.testing.plugin import Backend
from lianfang.gateway import main as gateway
from lianfang.ingest import main as ingest
from lianfang.ingest.repository import RECORDS
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.worker import IngestWorker
from lianfang.registry import main as registry
from lianfang.trace import main as trace

CITY = "1301"
DATABASE = "lianfang_records"
OTHER_STORES = {"accounts": "lianfang_accounts", "registry": "lianfang_registry", "trace": "lianfang_trace"}
MIGRATIONS = {"accounts": gateway.MIGRATIONS, "registry": registry.MIGRATIONS, "trace": trace.MIGRATIONS}


def checkin() -> CheckinCreated:
    now = datetime.now(UTC)
    return CheckinCreated(
        id=new_id(),
        client_key=uuid.uuid4(),
        city_code=CITY,
        checked_at=now,
        checkpoint_id=4201,
        checkpoint_kind="community",
        region_id=91,
        ancestry=Ancestry(province_id=1, city_id=7, county_id=42, township_id=88, unit_id=91),
        resident_id=uuid.uuid4(),
        person=PersonalData(
            name_encrypted="k1.bmFtZQ==",
            name_hash="c" * 64,
            name_masked="张*",
            phone_encrypted="k1.cGhvbmU=",
            phone_hash="a" * 64,
            phone_masked="138****5678",
        ),
        answers_encrypted="k1.YW5zd2Vycw==",
        template_id=3,
        template_version=2,
        temperature=36.6,
        temperature_source=TemperatureSource.measured,
        temperature_measured_at=now - timedelta(seconds=1),
        direction=Direction.entry,
        status=RecordStatus.passed,
    )


class TestSqlite:
    def test_a_file_written_meanwhile_is_copied_consistently_and_restored_in_place(self, tmp_path: Path) -> None:
        source = tmp_path / "live" / "records.db"
        source.parent.mkdir()
        with sqlite3.connect(source) as setup:
            setup.execute("PRAGMA journal_mode=WAL")
            setup.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        stop = threading.Event()
        written = [0]

        def write() -> None:
            writer = sqlite3.connect(source)
            while not stop.is_set():
                with writer:
                    writer.execute("INSERT INTO records (body) VALUES (?)", ("x" * 200,))
                written[0] += 1
            writer.close()

        thread = threading.Thread(target=write)
        thread.start()
        try:
            while written[0] < 500:
                stop.wait(0.01)
            before = written[0]
            manifest = backup([Store("records", f"sqlite+aiosqlite:///{source}")], tmp_path / "backup")
            after = written[0]
        finally:
            stop.set()
            thread.join()

        restored = tmp_path / "restored" / "records.db"
        restore(tmp_path / "backup", [Store("records", f"sqlite+aiosqlite:///{restored}")])
        with sqlite3.connect(restored) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            (count,) = copy.execute("SELECT count(*) FROM records").fetchone()
        assert before <= count <= after
        assert [(store.name, store.kind, store.file) for store in manifest.stores] == [
            ("records", "sqlite", "records.db")
        ]
        assert Manifest.read(tmp_path / "backup") == manifest

    def test_the_command_backs_up_and_restores_every_store_of_the_all_in_one_server(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        for variable in ("ACCOUNTS", "REGISTRY", "RECORDS", "TRACE"):
            monkeypatch.delenv(f"LIANFANG_{variable}_DATABASE_URL", raising=False)
        monkeypatch.delenv("LIANFANG_RECORDS_SHARD_MAP", raising=False)
        live, again = tmp_path / "live", tmp_path / "again"
        live.mkdir()
        for store in ("accounts", "registry", "records", "trace"):
            with sqlite3.connect(live / f"{store}.db") as database:
                database.execute("CREATE TABLE marks (name TEXT)")
                database.execute("INSERT INTO marks VALUES (?)", (store,))

        main(["backup", str(tmp_path / "nightly"), "--data-dir", str(live)])
        main(["restore", str(tmp_path / "nightly"), "--data-dir", str(again)])

        for store in ("accounts", "registry", "records", "trace"):
            with sqlite3.connect(again / f"{store}.db") as database:
                assert database.execute("SELECT name FROM marks").fetchall() == [(store,)]
        printed = capsys.readouterr().out
        assert f"records      {tmp_path / 'nightly' / 'records.db'}" in printed
        assert "backup of 4 stores taken at " in printed
        assert "restored accounts, registry, records, trace from " in printed

    def test_a_sharded_records_store_is_backed_up_node_by_node_on_the_primaries(self, tmp_path: Path) -> None:
        checkout = Path(__file__).resolve().parents[3]
        environ = {
            "LIANFANG_RECORDS_DATABASE_URL": "mysql+asyncmy://backup:secret@127.0.0.1:3309/lianfang_records",
            "LIANFANG_RECORDS_SHARD_MAP": str(checkout / "deploy" / "shards.toml"),
            "LIANFANG_ACCOUNTS_DATABASE_URL": "mysql+asyncmy://backup:secret@10.0.0.5:3306/lianfang_accounts",
        }

        stores = stores_from_environment(environ, tmp_path)

        assert stores == [
            Store("accounts", "mysql+asyncmy://backup:secret@10.0.0.5:3306/lianfang_accounts"),
            Store("registry", f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"),
            Store("records.s1", "mysql+asyncmy://backup:secret@127.0.0.11:3307/lianfang_records"),
            Store("records.s2", "mysql+asyncmy://backup:secret@127.0.0.12:3308/lianfang_records"),
            Store("records.default", "mysql+asyncmy://backup:secret@127.0.0.11:3307/lianfang_records_default"),
            Store("trace", f"sqlite+aiosqlite:///{tmp_path / 'trace.db'}"),
        ]

    def test_a_backup_naming_a_store_the_settings_do_not_is_refused(self, tmp_path: Path) -> None:
        source = tmp_path / "accounts.db"
        sqlite3.connect(source).close()
        backup([Store("accounts", f"sqlite+aiosqlite:///{source}")], tmp_path / "backup")

        with pytest.raises(BackupError, match="the backup holds accounts, which the settings do not name"):
            restore(tmp_path / "backup", [Store("records", f"sqlite+aiosqlite:///{tmp_path / 'records.db'}")])


@dataclass
class MariaDB:
    """A MariaDB server of the test's own, in a folder of its own, on a free port."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    def url(self, database: str = "") -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/{database}"

    @property
    def binlogs(self) -> list[Path]:
        return sorted((self.folder / "data").glob("binlog.[0-9]*"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_mariadb(folder: Path, *, binlog: bool) -> MariaDB:
    mariadbd = shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
    install = shutil.which("mariadb-install-db", path="/usr/bin:/usr/sbin")
    if mariadbd is None or install is None:
        pytest.fail("the backup drill starts MariaDB servers of its own: apt-get install mariadb-server")
    (folder / "tmp").mkdir(parents=True)
    user = f"--user={getpass.getuser()}"
    subprocess.run(
        [install, "--no-defaults", f"--datadir={folder / 'data'}", f"--tmpdir={folder / 'tmp'}", user,
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        capture_output=True,
        check=True,
    )  # fmt: skip
    port = _free_port()
    command = [
        mariadbd, "--no-defaults", f"--datadir={folder / 'data'}", user, "--bind-address=127.0.0.1", f"--port={port}",
        f"--socket={folder / 'mariadbd.sock'}", f"--tmpdir={folder / 'tmp'}", f"--log-error={folder / 'error.log'}",
        f"--pid-file={folder / 'mariadbd.pid'}", "--character-set-server=utf8mb4", "--default-time-zone=+00:00",
        "--skip-name-resolve", "--innodb-buffer-pool-size=32M", "--server-id=1",
    ]  # fmt: skip
    if binlog:
        command += ["--log-bin=binlog", "--binlog-format=ROW"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return MariaDB(folder, port, process)


async def _until_answering(server: MariaDB) -> None:
    engine = create_async_engine(server.url())
    try:
        async with asyncio.timeout(90):
            while True:
                try:
                    async with engine.connect() as connection:
                        await connection.execute(text("SELECT 1"))
                    return
                except Exception:
                    if server.process.poll() is not None:
                        raise AssertionError((server.folder / "error.log").read_text()) from None
                    await asyncio.sleep(0.2)
    finally:
        await engine.dispose()


@contextmanager
def _stopped_afterwards(*servers: MariaDB) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            try:
                server.process.wait(30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


@dataclass
class Stream:
    """Check-ins published one after another, each counted once RabbitMQ confirmed it."""

    confirmed: list[str]
    stopping: asyncio.Event
    grown: asyncio.Condition

    async def reached(self, count: int) -> None:
        async with asyncio.timeout(120), self.grown:
            await self.grown.wait_for(lambda: len(self.confirmed) >= count)


@asynccontextmanager
async def streaming(broker_url: str, exchange: str) -> AsyncIterator[Stream]:
    broker = connect_broker(broker_url)
    stream = Stream([], asyncio.Event(), asyncio.Condition())

    async def publish() -> None:
        while not stream.stopping.is_set():
            event = checkin()
            await broker.publish(
                exchange, created_routing_key(CITY), event.model_dump_json().encode(), message_id=str(event.id)
            )
            async with stream.grown:
                stream.confirmed.append(str(event.id))
                stream.grown.notify_all()

    task = asyncio.create_task(publish())
    try:
        yield stream
    finally:
        stream.stopping.set()
        await task
        await broker.close()


async def _schema(url: str) -> tuple[list[str], str | None]:
    """A store's tables and its migration version."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            tables = list((await connection.scalars(text("SHOW TABLES"))).all())
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    return sorted(map(str, tables)), None if version is None else str(version)


async def test_a_records_store_lost_after_its_backup_is_restored_with_every_confirmed_check_in_once(
    backend: Backend, tmp_path: Path
) -> None:
    if not backend.real:
        pytest.skip("starts MariaDB servers of its own beside the real RabbitMQ: runs with LIANFANG_TEST_*")
    suffix = uuid.uuid4().hex[:12]
    names = (f"test.drill.{suffix}", f"test.drill.dead.{suffix}", f"test.drill.q.{suffix}", f"test.drill.dq.{suffix}")
    topology = Topology(
        exchanges=(Exchange(names[0], ExchangeType.topic), Exchange(names[1], ExchangeType.fanout)),
        queues=(Queue(names[2], dead_letter_exchange=names[1]), Queue(names[3])),
        bindings=(Binding(names[0], names[2], "checkin.#"), Binding(names[1], names[3])),
    )
    lost, fresh = await asyncio.gather(
        asyncio.to_thread(_start_mariadb, tmp_path / "lost", binlog=True),
        asyncio.to_thread(_start_mariadb, tmp_path / "fresh", binlog=False),
    )
    with _stopped_afterwards(lost, fresh):
        await asyncio.gather(_until_answering(lost), _until_answering(fresh))
        server = create_async_engine(lost.url())
        async with server.begin() as connection:
            for database in (DATABASE, *OTHER_STORES.values()):
                await connection.execute(text(f"CREATE DATABASE {database}"))
        await server.dispose()
        await upgrade(ingest.MIGRATIONS, lost.url(DATABASE))
        for store, database in OTHER_STORES.items():
            await upgrade(MIGRATIONS[store], lost.url(database))
        broker = connect_broker(backend.broker_url)
        await broker.declare(topology)
        try:
            await _drill(backend, tmp_path, lost, fresh, broker_url=backend.broker_url, topology=topology, names=names)
        finally:
            await broker.close()
            async with await aio_pika.connect(backend.broker_url) as connection:
                channel = await connection.channel()
                for queue in (names[2], names[3]):
                    await channel.queue_delete(queue)
                for exchange in names[:2]:
                    await channel.exchange_delete(exchange)


async def _drill(
    backend: Backend,
    tmp_path: Path,
    lost: MariaDB,
    fresh: MariaDB,
    *,
    broker_url: str,
    topology: Topology,
    names: tuple[str, ...],
) -> None:
    settings: dict[str, Any] = {
        "broker_url": broker_url,
        "ingest_writer_process": False,
        "ingest_batch_size": 50,
        "ingest_prefetch": 200,
        "ingest_flush_ms": 20,
        "ingest_retry_initial_ms": 50,
        "ingest_retry_max_ms": 200,
    }
    database = create_database(lost.url(DATABASE))
    worker = IngestWorker(
        IngestSettings(records_database_url=lost.url(DATABASE), **settings),
        database,
        connect_broker(broker_url),
        queue=names[2],
        topology=topology,
    )
    running = asyncio.create_task(worker.run())
    async with streaming(broker_url, names[0]) as stream:
        await stream.reached(300)
        every_store = [Store("records", lost.url(DATABASE))] + [
            Store(store, lost.url(database)) for store, database in OTHER_STORES.items()
        ]
        manifest = await asyncio.to_thread(backup, every_store, tmp_path / "backup")
        at_backup = len(stream.confirmed)
        await stream.reached(at_backup + 300)
        worker.stop()
        await running
        await worker.broker.close()
        stopped_at = len(stream.confirmed)
        await stream.reached(stopped_at + 200)
    await database.dispose()

    assert [dumped.name for dumped in manifest.stores] == ["records", *OTHER_STORES]
    dumped = manifest.stores[0]
    assert dumped.binlog is not None, "the dump names no binary log position"
    # The server is lost; its binary logs (kept apart from it in production) and the backup are what is left.
    restore(
        tmp_path / "backup",
        [Store("records", fresh.url(DATABASE))]
        + [Store(store, fresh.url(database)) for store, database in OTHER_STORES.items()],
    )
    for name in OTHER_STORES.values():
        assert await _schema(fresh.url(name)) == await _schema(lost.url(name)), name
    replay_binlog(lost.binlogs, dumped.binlog, fresh.url(), database=DATABASE)
    restored = create_database(fresh.url(DATABASE))
    drainer = IngestWorker(
        IngestSettings(records_database_url=fresh.url(DATABASE), **settings),
        restored,
        connect_broker(broker_url),
        queue=names[2],
        topology=topology,
    )
    draining = asyncio.create_task(drainer.run())
    try:
        async with asyncio.timeout(60):
            # RabbitMQ tells no one when a queue is empty: its depth is asked until the new worker took everything.
            while (  # noqa: ASYNC110
                await drainer.broker.queue_depth(names[2]) > 0
                or drainer.stats.messages < len(stream.confirmed) - stopped_at
            ):
                await asyncio.sleep(0.1)
    finally:
        drainer.stop()
        await draining
        await drainer.broker.close()
    try:
        async with restored.engine.connect() as connection:
            ids = [str(row) for row in (await connection.scalars(select(RECORDS.c.id))).all()]
            total = await connection.scalar(select(func.count()).select_from(RECORDS))
    finally:
        await restored.dispose()
    assert total == len(ids) == len(set(ids))
    assert set(ids) == set(stream.confirmed), (
        f"{len(set(stream.confirmed) - set(ids))} confirmed check-ins missing, {len(set(ids) - set(stream.confirmed))} unknown"
    )
    assert len(stream.confirmed) >= at_backup + 500
    print(
        f"backup drill: {at_backup} confirmed before the backup, {stopped_at - at_backup} after it until the store was lost,"
        f" {len(stream.confirmed) - stopped_at} waiting in the queue; restored {total}, each once"
    )


@pytest.mark.skipif(shutil.which("rabbitmqctl", path="/usr/sbin:/usr/bin") is None, reason="no RabbitMQ on this host")
async def test_rabbitmq_definitions_are_exported_with_the_queues_of_every_vhost(
    backend: Backend, tmp_path: Path
) -> None:
    if not backend.real:
        pytest.skip("exports the real RabbitMQ's definitions: runs with LIANFANG_TEST_*")
    queue = f"test.backup.{uuid.uuid4().hex[:12]}"
    broker = connect_broker(backend.broker_url)
    await broker.declare(Topology(queues=(Queue(queue),)))
    try:
        path = await asyncio.to_thread(export_rabbitmq, tmp_path)
    finally:
        await broker.close()
        async with await aio_pika.connect(backend.broker_url) as connection:
            await (await connection.channel()).queue_delete(queue)
    definitions = json.loads(path.read_text())
    assert queue in {entry["name"] for entry in definitions["queues"]}
    assert definitions["users"]
