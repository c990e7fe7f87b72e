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
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lianfang.allinone.backup import (
    BackupError,
    Manifest,
    Store,
    backup,
    export_rabbitmq,
    import_rabbitmq,
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
from lianfang.common.messaging import (
    CHECKINS_EXCHANGE,
    DEAD_LETTER_QUEUE,
    INGEST_QUEUE,
    LIANFANG_TOPOLOGY,
    Binding,
    Exchange,
    ExchangeType,
    Queue,
    Topology,
    connect_broker,
)
from lianfang.common.shards import ShardedStore
from lianfang.common.shards.migrate import migrate_sharded
from lianfang.common.testing.plugin import Backend
from lianfang.gateway import main as gateway
from lianfang.ingest import main as ingest
from lianfang.ingest.rows import RECORDS
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.worker import IngestStats, IngestWorker
from lianfang.registry import main as registry
from lianfang.trace import main as trace

from .faults import own_rabbitmq

CITY = "1301"
DATABASE = "lianfang_records"
OTHER_STORES = {"accounts": "lianfang_accounts", "registry": "lianfang_registry", "trace": "lianfang_trace"}
MIGRATIONS = {"accounts": gateway.MIGRATIONS, "registry": registry.MIGRATIONS, "trace": trace.MIGRATIONS}


def checkin(city: str = CITY) -> CheckinCreated:
    now = datetime.now(UTC)
    return CheckinCreated(
        id=new_id(),
        client_key=uuid.uuid4(),
        city_code=city,
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
        monkeypatch.delenv("LIANFANG_BROKER_URL", raising=False)
        live, again = tmp_path / "live", tmp_path / "again"
        live.mkdir()
        for store in ("broker", "accounts", "registry", "records", "trace"):
            with sqlite3.connect(live / f"{store}.db") as database:
                database.execute("CREATE TABLE marks (name TEXT)")
                database.execute("INSERT INTO marks VALUES (?)", (store,))

        main(["backup", str(tmp_path / "nightly"), "--data-dir", str(live)])
        main(["restore", str(tmp_path / "nightly"), "--data-dir", str(again)])

        for store in ("broker", "accounts", "registry", "records", "trace"):
            with sqlite3.connect(again / f"{store}.db") as database:
                assert database.execute("SELECT name FROM marks").fetchall() == [(store,)]
        printed = capsys.readouterr().out
        assert f"records      {tmp_path / 'nightly' / 'records.db'}" in printed
        assert "backup of 5 stores taken at " in printed
        assert "restored broker, accounts, registry, records, trace from " in printed

    def test_a_restore_of_named_stores_leaves_the_others_as_they_are(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        for variable in ("ACCOUNTS", "REGISTRY", "RECORDS", "TRACE"):
            monkeypatch.delenv(f"LIANFANG_{variable}_DATABASE_URL", raising=False)
        monkeypatch.delenv("LIANFANG_RECORDS_SHARD_MAP", raising=False)
        monkeypatch.delenv("LIANFANG_BROKER_URL", raising=False)
        live = tmp_path / "live"
        live.mkdir()

        def mark(value: str) -> None:
            for store in ("broker", "accounts", "registry", "records", "trace"):
                with sqlite3.connect(live / f"{store}.db") as database:
                    database.execute("CREATE TABLE IF NOT EXISTS marks (name TEXT)")
                    database.execute("DELETE FROM marks")
                    database.execute("INSERT INTO marks VALUES (?)", (value,))

        mark("night")
        main(["backup", str(tmp_path / "nightly"), "--data-dir", str(live)])
        mark("morning")
        main(["restore", str(tmp_path / "nightly"), "--data-dir", str(live), "--store", "records", "--store", "broker"])

        marks = {}
        for store in ("broker", "accounts", "registry", "records", "trace"):
            with sqlite3.connect(live / f"{store}.db") as database:
                marks[store] = database.execute("SELECT name FROM marks").fetchone()[0]
        assert marks == {
            "broker": "night",
            "accounts": "morning",
            "registry": "morning",
            "records": "night",
            "trace": "morning",
        }
        assert f"restored broker, records from {tmp_path / 'nightly'}" in capsys.readouterr().out
        with pytest.raises(SystemExit, match=r"lianfang restore: the backup holds no records\.s2"):
            main(["restore", str(tmp_path / "nightly"), "--data-dir", str(live), "--store", "records.s2"])

    def test_the_in_process_brokers_journal_is_copied_first_and_only_where_there_is_one(self, tmp_path: Path) -> None:
        other = tmp_path / "elsewhere" / "journal.db"

        def names(broker_url: str | None) -> list[tuple[str, str]]:
            environ = {} if broker_url is None else {"LIANFANG_BROKER_URL": broker_url}
            return [(store.name, store.url) for store in stores_from_environment(environ, tmp_path)][:2]

        assert names(None) == [
            ("broker", f"sqlite+aiosqlite:///{tmp_path / 'broker.db'}"),
            ("accounts", f"sqlite+aiosqlite:///{tmp_path / 'accounts.db'}"),
        ]
        assert names(f"memory://lianfang?journal={quote(str(other))}")[0] == ("broker", f"sqlite+aiosqlite:///{other}")
        assert names("memory://lianfang")[0][0] == "accounts"
        assert names("amqp://guest:guest@127.0.0.1:5672/")[0][0] == "accounts"

    def test_a_sharded_records_store_is_backed_up_node_by_node_on_the_primaries(self, tmp_path: Path) -> None:
        checkout = Path(__file__).resolve().parents[3]
        environ = {
            "LIANFANG_RECORDS_DATABASE_URL": "mysql+asyncmy://backup:secret@127.0.0.1:3309/lianfang_records",
            "LIANFANG_RECORDS_SHARD_MAP": str(checkout / "deploy" / "shards.toml"),
            "LIANFANG_ACCOUNTS_DATABASE_URL": "mysql+asyncmy://backup:secret@10.0.0.5:3306/lianfang_accounts",
            "LIANFANG_BROKER_URL": "amqp://lianfang:secret@10.0.0.6:5672/",
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


class AllInOne:
    """The all-in-one server's broker and ingest worker on the files of a data directory, as `lianfang run` has them:
    the in-process broker with its journal `broker.db`, the records store `records.db` (or the one `records_url` and
    `records_settings` name)."""

    def __init__(
        self, data_dir: Path, records_url: str | None = None, records_settings: Mapping[str, object] | None = None
    ) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(exist_ok=True)
        # One broker per process and name: a restarted server is a broker of another name on the same journal.
        self.broker_url = f"memory://backup-{uuid.uuid4().hex}?journal={quote(str(data_dir / 'broker.db'))}"
        self.records_url = records_url or f"sqlite+aiosqlite:///{data_dir / 'records.db'}"
        self.records_settings = dict(records_settings or {})
        self.publisher = connect_broker(self.broker_url)

    async def publish(self, count: int, *, cities: Sequence[str] = (CITY,)) -> list[str]:
        """Check-ins the broker confirmed (its publish returned: they are in the journal), by id."""
        confirmed = []
        for number in range(count):
            event = checkin(cities[number % len(cities)])
            await self.publisher.publish(
                CHECKINS_EXCHANGE,
                created_routing_key(event.city_code),
                event.model_dump_json().encode(),
                message_id=str(event.id),
            )
            confirmed.append(str(event.id))
        return confirmed

    def worker(self) -> IngestWorker:
        return IngestWorker(
            IngestSettings(
                records_database_url=self.records_url,
                broker_url=self.broker_url,
                ingest_writer_process=False,
                ingest_batch_size=50,
                ingest_flush_ms=10,
                **self.records_settings,  # type: ignore[arg-type]  # the sharded store's map and writer
            ),
            create_database(self.records_url),
            connect_broker(self.broker_url),
        )

    async def drain(self, count: int) -> IngestStats:
        """A worker runs until it acked `count` check-ins and the queue is empty."""
        worker = self.worker()
        running = asyncio.create_task(worker.run())
        try:
            async with asyncio.timeout(60):
                while worker.stats.messages < count or await self.publisher.queue_depth(INGEST_QUEUE):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
        finally:
            worker.stop()
            await running
            await worker.database.dispose()
        return worker.stats

    async def stored(self) -> list[str]:
        database = create_database(self.records_url)
        try:
            async with database.engine.connect() as connection:
                return [str(row) for row in (await connection.scalars(select(RECORDS.c.id))).all()]
        finally:
            await database.dispose()

    async def close(self) -> None:
        await self.publisher.close()


class TestAllInOneJournal:
    """A backup taken while check-ins wait in the in-process broker's journal: after the restore they are stored, each
    once, and nothing confirmed after the backup appears."""

    @staticmethod
    async def server(data_dir: Path) -> AllInOne:
        server = AllInOne(data_dir)
        await upgrade(ingest.MIGRATIONS, server.records_url)
        await server.publisher.declare(LIANFANG_TOPOLOGY)
        return server

    async def test_check_ins_waiting_in_the_journal_at_the_backup_are_stored_once_after_the_restore(
        self, tmp_path: Path
    ) -> None:
        live = await self.server(tmp_path / "live")
        stored_before = await live.publish(200, cities=("1301", "1302"))
        assert (await live.drain(200)).totals.stored == 200
        waiting = await live.publish(150, cities=("1301", "1302"))
        stores = [store for store in stores_from_environment({}, live.data_dir) if store.name in ("broker", "records")]
        manifest = await asyncio.to_thread(backup, stores, tmp_path / "backup")
        after_backup = await live.publish(30)
        await live.close()

        restore(tmp_path / "backup", [Store(store.name, store.url.replace("/live/", "/again/")) for store in stores])
        again = AllInOne(tmp_path / "again")
        await again.publisher.declare(LIANFANG_TOPOLOGY)
        assert await again.publisher.queue_depth(INGEST_QUEUE) == 150
        stats = await again.drain(150)
        await again.close()

        stored = await again.stored()
        assert [dumped.name for dumped in manifest.stores] == ["broker", "records"]
        assert (stats.messages, stats.totals.stored, stats.totals.duplicates) == (150, 150, 0)
        assert len(stored) == len(set(stored)) == 350
        assert set(stored) == set(stored_before + waiting)
        assert not set(after_backup) & set(stored)

    async def test_a_backup_during_a_stream_holds_every_check_in_confirmed_before_it_once(self, tmp_path: Path) -> None:
        """The worker stores and acks while the journal and then the records store are copied: after the restore every
        check-in confirmed before the backup began is stored, none twice, and none confirmed after it ended."""
        live = await self.server(tmp_path / "live")
        stores = [store for store in stores_from_environment({}, live.data_dir) if store.name in ("broker", "records")]
        worker = live.worker()
        running = asyncio.create_task(worker.run())
        confirmed: list[str] = []
        stopping = asyncio.Event()

        async def stream() -> None:
            while not stopping.is_set():
                confirmed.extend(await live.publish(5))
                await asyncio.sleep(0)

        streaming = asyncio.create_task(stream())
        while worker.stats.messages < 300:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        before = len(confirmed)
        await asyncio.to_thread(backup, stores, tmp_path / "backup")
        by_end = len(confirmed)
        stopping.set()
        await streaming
        worker.stop()
        await running
        await worker.database.dispose()
        await live.close()

        restore(tmp_path / "backup", [Store(store.name, store.url.replace("/live/", "/again/")) for store in stores])
        again = AllInOne(tmp_path / "again")
        await again.publisher.declare(LIANFANG_TOPOLOGY)
        await again.drain(await again.publisher.queue_depth(INGEST_QUEUE))
        await again.close()

        stored = await again.stored()
        assert len(stored) == len(set(stored))
        assert set(confirmed[:before]) <= set(stored) <= set(confirmed[:by_end])
        print(f"journal drill: {before} confirmed before the backup, {len(stored)} restored, each once")


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


def _start_mariadb(folder: Path, *, binlog: bool, install: bool = True) -> MariaDB:
    """`install=False` starts on the data directory already in `folder` (a physical backup copied back)."""
    mariadbd = shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
    install_db = shutil.which("mariadb-install-db", path="/usr/bin:/usr/sbin")
    if mariadbd is None or install_db is None:
        pytest.fail("the backup drill starts MariaDB servers of its own: apt-get install mariadb-server")
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    user = f"--user={getpass.getuser()}"
    if install:
        subprocess.run(
            [install_db, "--no-defaults", f"--datadir={folder / 'data'}", f"--tmpdir={folder / 'tmp'}", user,
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
    if backend.name != "real":
        pytest.skip(
            "starts MariaDB servers of its own beside the real RabbitMQ: one run is enough, with LIANFANG_TEST_*"
        )
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


# Cities of each node of deploy/shards.toml: s1, s2, and the default node (the province's own `1300`, a city off the map).
SHARDED_CITIES = ("1301", "1303", "1302", "1306", "1300", "1399")


def _sharded_store(front: ShardedStore, database: str) -> ShardedStore:
    def named(url: str) -> str:
        return make_url(url).set(database=database).render_as_string(hide_password=False)

    return ShardedStore(front.shard_map, named(front.write_url), named(front.read_url))


async def _province_wide(url: str) -> list[tuple[str, str]]:
    """What an admin of the province asks the front: every record, with its city."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(RECORDS.c.id, RECORDS.c.city_code).order_by(RECORDS.c.id))
            return [(str(record), city) for record, city in rows]
    finally:
        await engine.dispose()


async def _drop_sharded(store: ShardedStore) -> None:
    for url in {store.write_url, store.read_url, *store.backend_urls().values()}:
        parsed = make_url(url)
        engine = create_async_engine(parsed.set(database=""), poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f"DROP DATABASE IF EXISTS `{parsed.database}`"))
        finally:
            await engine.dispose()


async def test_a_sharded_records_store_restored_node_by_node_answers_the_province_as_before(
    backend: Backend, tmp_path: Path
) -> None:
    """The sharded drill: each node's database dumped on its shard's primary (the Spider fronts hold no rows), all of
    them given up for lost, restored into fresh databases, the fronts defined again by `lianfang migrate`; a
    province-wide query through either front then answers exactly the records it answered before."""
    if backend.sharded is None or backend.shard_map_path is None:
        pytest.skip("needs the sharded topology (`lianfang shards up`, LIANFANG_TEST_SHARDS_URL): CI's sharded run")
    run = uuid.uuid4().hex[:8]
    lost = _sharded_store(backend.sharded, f"lianfang_drill_{run}")
    fresh = _sharded_store(backend.sharded, f"lianfang_drill_{run}_restored")
    settings = {"records_shard_map": backend.shard_map_path}

    def environ(store: ShardedStore) -> dict[str, str]:
        return {
            "LIANFANG_RECORDS_DATABASE_URL": store.write_url,
            "LIANFANG_RECORDS_SHARD_MAP": str(backend.shard_map_path),
            "LIANFANG_BROKER_URL": backend.broker_url,
        }

    try:
        await migrate_sharded(lost, ingest.MIGRATIONS)
        server = AllInOne(tmp_path / "server", lost.write_url, settings)
        await server.publisher.declare(LIANFANG_TOPOLOGY)
        confirmed = await server.publish(600, cities=SHARDED_CITIES)
        assert (await server.drain(600)).totals.stored == 600
        await server.close()
        before = await _province_wide(lost.write_url)
        stores = [store for store in stores_from_environment(environ(lost), tmp_path) if store.name != "broker"]
        records = [store for store in stores if store.name.startswith("records.")]
        manifest = await asyncio.to_thread(backup, records, tmp_path / "backup")
        await _drop_sharded(lost)

        targets = [store for store in stores_from_environment(environ(fresh), tmp_path) if store.name in
                   {dumped.name for dumped in manifest.stores}]  # fmt: skip
        await asyncio.to_thread(restore, tmp_path / "backup", targets)
        await migrate_sharded(fresh, ingest.MIGRATIONS)
        through_write_front = await _province_wide(fresh.write_url)
        await fresh.replicas_caught_up()
        through_read_front = await _province_wide(fresh.read_url)
    finally:
        await _drop_sharded(lost)
        await _drop_sharded(fresh)

    assert [(dumped.name, dumped.binlog is not None) for dumped in manifest.stores] == [
        ("records.s1", True),
        ("records.s2", True),
        ("records.default", True),
    ]
    assert sorted(record for record, _ in before) == sorted(confirmed)
    assert Counter(city for _, city in before) == dict.fromkeys(SHARDED_CITIES, 100)
    assert through_write_front == through_read_front == before
    print(f"sharded drill: {len(before)} records on 3 nodes, {len(through_read_front)} through the restored fronts")


def _mariadb_backup(*arguments: str) -> None:
    """mariadb-backup as docs/OPERATIONS.md runs it; `--no-defaults` first, or it reads the host's own server's my.cnf
    (its datadir, its socket)."""
    tool = shutil.which("mariadb-backup", path="/usr/bin:/usr/sbin")
    if tool is None:
        pytest.fail("the physical backup drill needs mariadb-backup: deploy/install-packages.sh test")
    done = subprocess.run([tool, "--no-defaults", *arguments], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def _binlog_info(backup_dir: Path) -> tuple[str, int]:
    """The binary log position of the backup's moment: `xtrabackup_binlog_info` holds file, position and GTID."""
    file, position, *_ = (backup_dir / "xtrabackup_binlog_info").read_text().split()
    return file, int(position)


async def test_a_physical_backup_taken_while_the_worker_stores_restores_every_record_once(
    backend: Backend, tmp_path: Path
) -> None:
    """The `mariadb-backup` drill: a records store written by the ingest worker while `--backup` copies its files;
    `--prepare`, `--copy-back` into an empty data directory, a server started on it, then the binary log replayed
    from `xtrabackup_binlog_info`: the fresh server holds every check-in the lost one stored, each once."""
    if backend.name != "real":
        pytest.skip("starts MariaDB servers of its own: one run is enough, with LIANFANG_TEST_*")
    with ExitStack() as servers:
        lost = await asyncio.to_thread(_start_mariadb, tmp_path / "lost", binlog=True)
        servers.enter_context(_stopped_afterwards(lost))
        await _until_answering(lost)
        engine = create_async_engine(lost.url())
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE DATABASE {DATABASE}"))
        await engine.dispose()
        await upgrade(ingest.MIGRATIONS, lost.url(DATABASE))
        server = AllInOne(tmp_path / "server", lost.url(DATABASE))
        await server.publisher.declare(LIANFANG_TOPOLOGY)
        first = await server.publish(300)
        assert (await server.drain(300)).totals.stored == 300

        worker = server.worker()
        running = asyncio.create_task(worker.run())
        during: list[str] = []
        stopping = asyncio.Event()

        async def stream() -> None:
            while not stopping.is_set():
                during.extend(await server.publish(5))
                await asyncio.sleep(0.005)

        streaming = asyncio.create_task(stream())
        physical = tmp_path / "backup" / "physical"
        physical.parent.mkdir()  # mariadb-backup makes the target directory, not its parents
        await asyncio.to_thread(
            _mariadb_backup, "--backup", f"--target-dir={physical}", f"--datadir={lost.folder / 'data'}",
            "--host=127.0.0.1", f"--port={lost.port}", "--user=root",
        )  # fmt: skip
        after_backup = len(during) + 200
        while len(during) < after_backup:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        stopping.set()
        await streaming
        while worker.stats.messages < len(during):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        worker.stop()
        await running
        await worker.database.dispose()
        await server.close()
        confirmed = first + during

        await asyncio.to_thread(_mariadb_backup, "--prepare", f"--target-dir={physical}")
        await asyncio.to_thread(
            _mariadb_backup, "--copy-back", f"--target-dir={physical}", f"--datadir={tmp_path / 'fresh' / 'data'}"
        )
        fresh = await asyncio.to_thread(_start_mariadb, tmp_path / "fresh", binlog=False, install=False)
        servers.enter_context(_stopped_afterwards(fresh))
        await _until_answering(fresh)
        copied_back = await AllInOne(tmp_path / "fresh-server", fresh.url(DATABASE)).stored()
        await asyncio.to_thread(replay_binlog, lost.binlogs, _binlog_info(physical), fresh.url(), database=DATABASE)
        restored = await AllInOne(tmp_path / "fresh-server", fresh.url(DATABASE)).stored()
        on_the_lost_server = await server.stored()

    assert set(first) <= set(copied_back) < set(confirmed), "the copy holds what was stored before it, not after it"
    assert len(restored) == len(set(restored)) == len(confirmed) == len(on_the_lost_server)
    assert set(restored) == set(confirmed)
    print(
        f"physical drill: {len(copied_back)} records in the copy, {len(restored) - len(copied_back)} replayed from the"
        f" binary log; {len(restored)} restored, each once"
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


async def test_rabbitmq_definitions_restore_the_topology_into_a_fresh_node(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The definitions drill: `lianfang backup --rabbitmq`'s export from one node, `lianfang restore --rabbitmq`'s
    import into a fresh one (both nodes of the test's own); check-ins then route and dead-letter there as before."""
    if backend.name != "real":
        pytest.skip("starts two RabbitMQ nodes of its own: one run is enough, with the real servers")
    async with own_rabbitmq(tmp_path / "lost") as lost, own_rabbitmq(tmp_path / "fresh") as fresh:
        broker = connect_broker(lost.url)
        await broker.declare(LIANFANG_TOPOLOGY)
        await broker.close()
        for name, value in lost.control().items():
            monkeypatch.setenv(name, value)
        await asyncio.to_thread(export_rabbitmq, tmp_path / "backup")
        for name, value in fresh.control().items():
            monkeypatch.setenv(name, value)
        await asyncio.to_thread(import_rabbitmq, tmp_path / "backup")

        restored = connect_broker(fresh.url)
        try:
            await restored.publish(CHECKINS_EXCHANGE, "checkin.created.1301", b"{}", message_id="after-restore")
            async with restored.consume(INGEST_QUEUE) as consumer:
                delivery = await anext(consumer)
                await delivery.nack(requeue=False)
            for _ in range(50):  # RabbitMQ dead-letters on its own time
                depths = (await restored.queue_depth(INGEST_QUEUE), await restored.queue_depth(DEAD_LETTER_QUEUE))
                if depths[1]:
                    break
                await asyncio.sleep(0.05)
        finally:
            await restored.close()
    assert delivery.message_id == "after-restore"
    assert depths == (0, 1)
