"""Pytest fixtures shared by every suite of the workspace (loaded with `-p lianfang.common.testing.plugin`).

Every test that asks for `backend` runs twice when the `LIANFANG_TEST_*` URLs are set: once on the embedded backends
(SQLite, the memory broker, fakeredis) and once on the real MariaDB, RabbitMQ and Redis. Without them only the embedded
run exists; with only some of them set the session stops, so CI can never skip the real servers by accident.

With `LIANFANG_TEST_SHARDS_URL` and `LIANFANG_TEST_SHARDS_READ_URL` too (the write and read fronts of a sharded records
store, `lianfang shards up`; the map is `LIANFANG_TEST_SHARD_MAP`, by default deploy/shards.toml), a third run, `sharded`,
keeps the records store on the shards behind those fronts and everything else on the real servers.

Under pytest-xdist (`make test` runs `-n 4`) each worker has a Redis database and a RabbitMQ virtual host of its own,
derived from the given URLs: worker `gwN` adds N to the Redis database's number and uses the virtual host
`<vhost>-gwN` (`default-gwN` for `/`), which it makes with `rabbitmqctl` (RabbitMQ makes virtual hosts only through its
management tools) and drops at the end. The databases are unique per run already. Tests on fixed ports (`e2e`) and the
browser tests, which share one server, each run on one worker (`--dist loadgroup`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import aio_pika
import pytest
from sqlalchemy import MetaData, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from lianfang.common.cache import connect_cache
from lianfang.common.db import create_database
from lianfang.common.db.migrate import upgrade
from lianfang.common.messaging.topology import DEAD_LETTER_QUEUE, INGEST_QUEUE
from lianfang.common.shards import ShardedStore, ShardMap
from lianfang.common.shards.migrate import migrate_sharded

__all__ = ["TEST_HASHING", "Backend", "Servers", "Stores"]

_REAL_VARIABLES = ("LIANFANG_TEST_MYSQL_URL", "LIANFANG_TEST_AMQP_URL", "LIANFANG_TEST_REDIS_URL")
_SHARDED_VARIABLES = ("LIANFANG_TEST_SHARDS_URL", "LIANFANG_TEST_SHARDS_READ_URL")
# Argon2 at the cheapest cost it takes: at production's (the gateway's defaults, tested once) every login of the suite
# would cost most of a second of CPU.
TEST_HASHING = {
    "LIANFANG_PASSWORD_TIME_COST": "1",
    "LIANFANG_PASSWORD_MEMORY_KIB": "8",
    "LIANFANG_PASSWORD_PARALLELISM": "1",
}
# The store kept on the shards in the sharded run.
_SHARDED_STORE = "records"


def _real_urls() -> dict[str, str] | None:
    present = {name: os.environ[name] for name in _REAL_VARIABLES if os.environ.get(name)}
    if not present:
        return None
    missing = [name for name in _REAL_VARIABLES if name not in present]
    if missing:
        raise pytest.UsageError(f"set all of {', '.join(_REAL_VARIABLES)} or none; missing: {', '.join(missing)}")
    worker = _worker()
    if worker is not None:
        present["LIANFANG_TEST_REDIS_URL"] = _worker_redis_url(present["LIANFANG_TEST_REDIS_URL"], worker)
        present["LIANFANG_TEST_AMQP_URL"] = _worker_amqp_url(present["LIANFANG_TEST_AMQP_URL"], worker)
    return present


def _worker() -> int | None:
    """The pytest-xdist worker's number (`PYTEST_XDIST_WORKER=gw3` is 3); None outside xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER")
    return int(name.removeprefix("gw")) if name else None


def _worker_redis_url(url: str, worker: int) -> str:
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + worker
    return parts._replace(path=f"/{database}").geturl()


def _worker_amqp_url(url: str, worker: int) -> str:
    parts = urlsplit(url)
    vhost = unquote(parts.path[1:]) or "/"
    own = f"{'default' if vhost == '/' else vhost}-gw{worker}"
    return parts._replace(path="/" + quote(own, safe="")).geturl()


def _rabbitmqctl(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    if not Path(command).exists():
        raise pytest.UsageError("pytest-xdist on the real RabbitMQ makes a virtual host per worker with rabbitmqctl")
    return subprocess.run([command, "-q", *arguments], capture_output=True, text=True, check=False)  # noqa: S603


def _add_vhost(amqp_url: str) -> None:
    parts = urlsplit(amqp_url)
    vhost = unquote(parts.path[1:])
    _rabbitmqctl("add_vhost", vhost)  # fails harmlessly when it exists from an interrupted run
    granted = _rabbitmqctl("set_permissions", "-p", vhost, unquote(parts.username or "guest"), ".*", ".*", ".*")
    if granted.returncode != 0:
        raise pytest.UsageError(f"could not make the virtual host {vhost!r}: {granted.stderr.strip()}")


# First: pytest-xdist's own hook reads the groups to send each to one worker.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("fixed-ports"))
        elif item.path.parent.name == "browser":
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif item.get_closest_marker("xdist_group") and (backend := _backend_of(item)) is not None:
            # A group per backend (xdist joins the names): a fuzz class's embedded and real runs go to two workers.
            item.add_marker(pytest.mark.xdist_group(backend))


def _backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("backend_name") if callspec is not None else None
    return str(backend) if backend is not None else None


def _sharded_urls() -> dict[str, str] | None:
    present = {name: os.environ[name] for name in _SHARDED_VARIABLES if os.environ.get(name)}
    if not present:
        return None
    missing = [name for name in (*_SHARDED_VARIABLES, *_REAL_VARIABLES) if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(f"the sharded run needs {', '.join(missing)} too")
    return present


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" in metafunc.fixturenames:
        names = ["embedded"] + (["real"] if _real_urls() else []) + (["sharded"] if _sharded_urls() else [])
        metafunc.parametrize("backend_name", names, scope="session")


class Backend:
    """The servers one run of the suite talks to, and a database per store, made once per session."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.real = name in ("real", "sharded")
        self._workdir = workdir
        self._run = uuid.uuid4().hex[:8]
        urls = _real_urls() if self.real else None
        self._mysql_url = urls["LIANFANG_TEST_MYSQL_URL"] if urls else None
        self.broker_url = urls["LIANFANG_TEST_AMQP_URL"] if urls else f"memory://test-{self._run}"
        self.redis_url = urls["LIANFANG_TEST_REDIS_URL"] if urls else f"memory://test-{self._run}"
        self.sharded: ShardedStore | None = None
        self.shard_map_path: Path | None = None
        if name == "sharded":
            fronts = _sharded_urls()
            assert fronts is not None
            self.shard_map_path = Path(os.environ.get("LIANFANG_TEST_SHARD_MAP", "deploy/shards.toml")).resolve()
            database = f"lianfang_test_{_SHARDED_STORE}_{self._run}"
            self.sharded = ShardedStore(
                ShardMap.load(self.shard_map_path),
                make_url(fronts["LIANFANG_TEST_SHARDS_URL"]).set(database=database).render_as_string(False),
                make_url(fronts["LIANFANG_TEST_SHARDS_READ_URL"]).set(database=database).render_as_string(False),
            )
        self._databases: list[str] = []
        self.stores = Stores(self)

    def database_url(self, store: str) -> str:
        if self._mysql_url is None:
            return f"sqlite+aiosqlite:///{self._workdir / f'{store}.db'}"
        if self.sharded is not None and store == _SHARDED_STORE:
            return self.sharded.write_url
        return make_url(self._mysql_url).set(database=f"lianfang_test_{store}_{self._run}").render_as_string(False)

    def read_url(self, store: str) -> str:
        """Where the store is read from: the read front of the sharded store, else the store itself."""
        if self.sharded is not None and store == _SHARDED_STORE:
            return self.sharded.read_url
        return self.database_url(store)

    @property
    def records_settings(self) -> dict[str, object]:
        """What the ingest worker's settings add in this run: the shard map of the sharded one. There it writes in its
        own event loop: the writer process is the real run's subject (the same code either way), and spawning one per
        test would double the run's time."""
        if self.shard_map_path is None:
            return {}
        return {"records_shard_map": self.shard_map_path, "ingest_writer_process": False}

    async def caught_up(self) -> None:
        """After writing to the records store, before reading it through the read front: the replicas have it."""
        if self.sharded is not None:
            await self.sharded.replicas_caught_up()

    async def create_database(self, store: str, migrations: Path) -> str:
        url = self.database_url(store)
        if self.sharded is not None and store == _SHARDED_STORE:
            await migrate_sharded(self.sharded, migrations)
            return url
        if self._mysql_url is not None:
            name = make_url(url).database
            server = create_async_engine(self._mysql_url)
            async with server.begin() as connection:
                await connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            await server.dispose()
            self._databases.append(str(name))
        await upgrade(migrations, url)
        return url

    async def drop_databases(self) -> None:
        if self.sharded is not None:
            sharded = self.sharded
            urls = {sharded.write_url, sharded.read_url, *sharded.backend_urls().values()}
            for url in urls:
                await _drop(url)
        if self._mysql_url is None or not self._databases:
            return
        server = create_async_engine(self._mysql_url)
        async with server.begin() as connection:
            for name in self._databases:
                await connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        await server.dispose()


async def _drop(url: str) -> None:
    parsed = make_url(url)
    server = create_async_engine(parsed.set(database=""))
    try:
        async with server.begin() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS `{parsed.database}`"))
    finally:
        await server.dispose()


class Stores:
    """Migrated databases by store name, made on first use in the session and emptied before every test."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._urls: dict[str, tuple[str, MetaData]] = {}

    async def url(self, store: str, migrations: Path, metadata: MetaData) -> str:
        if store not in self._urls:
            self._urls[store] = (await self.backend.create_database(store, migrations), metadata)
        return self._urls[store][0]

    async def empty_all(self) -> None:
        for url, metadata in self._urls.values():
            database = create_database(url)
            try:
                async with database.engine.begin() as connection:
                    # InnoDB checks a self-referencing key (regions.parent_id) row by row, so one DELETE of a tree fails.
                    mysql = connection.dialect.name == "mysql"
                    if mysql:
                        await connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
                    for table in reversed(metadata.sorted_tables):
                        await connection.execute(delete(table))
                    if mysql:
                        await connection.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
            finally:
                await database.dispose()


@pytest.fixture(scope="session")
async def _backends() -> AsyncIterator[dict[str, Backend]]:
    """Each backend made once per session and undone at its end. pytest makes a parametrized session fixture again
    whenever the parameter changes, which pytest-xdist's groups make happen many times on a worker (a fuzz class's
    embedded and real tests): doing it there dropped and migrated every database again each time."""
    made: dict[str, Backend] = {}
    yield made
    for chosen in made.values():
        await chosen.drop_databases()
        if chosen.real and _worker() is not None:
            _rabbitmqctl("delete_vhost", unquote(urlsplit(chosen.broker_url).path[1:]))


@pytest.fixture(scope="session")
def backend(backend_name: str, _backends: dict[str, Backend], tmp_path_factory: pytest.TempPathFactory) -> Backend:
    if backend_name not in _backends:
        chosen = Backend(backend_name, tmp_path_factory.mktemp(f"stores-{backend_name}"))
        if chosen.real and _worker() is not None:
            _add_vhost(chosen.broker_url)
        _backends[backend_name] = chosen
    return _backends[backend_name]


@pytest.fixture
async def stores(backend: Backend) -> AsyncIterator[Stores]:
    """Each test starts with empty stores."""
    yield backend.stores
    await backend.stores.empty_all()


@asynccontextmanager
async def _emptied(backend: Backend, real_url: str, empty: Callable[[str], Awaitable[None]]) -> AsyncIterator[str]:
    """A fresh in-process server's URL, or the real server's at `real_url`, emptied by `empty` after the test."""
    if not backend.real:
        yield f"memory://test-{uuid.uuid4().hex}"
        return
    yield real_url
    await empty(real_url)


def _empty_redis(backend: Backend) -> AbstractAsyncContextManager[str]:
    return _emptied(backend, backend.redis_url, _flush_redis)


def _empty_broker(backend: Backend) -> AbstractAsyncContextManager[str]:
    return _emptied(backend, backend.broker_url, _purge_queues)


async def _flush_redis(url: str) -> None:
    cache = connect_cache(url)
    await cache.flushdb()
    await cache.aclose()


async def _purge_queues(url: str) -> None:
    """The service topology's queues emptied: what a test published there and nothing drained would reach the ingest
    worker of a later test on the worker's virtual host (an exact count of stored records saw 154 too many)."""
    async with await aio_pika.connect(url) as connection:
        for name in (INGEST_QUEUE, DEAD_LETTER_QUEUE):
            # A passive declare of a queue that was never made closes its channel.
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                continue
            await queue.purge()
            await channel.close()


@pytest.fixture
async def redis_url(backend: Backend) -> AsyncIterator[str]:
    """An empty Redis for each test: a fresh in-process one, or the real server's test database, flushed after."""
    async with _empty_redis(backend) as url:
        yield url


@pytest.fixture
async def broker_url(backend: Backend) -> AsyncIterator[str]:
    """A fresh in-process broker for each test, or the real RabbitMQ, the service topology's queues emptied after."""
    async with _empty_broker(backend) as url:
        yield url


@dataclass
class Servers:
    stores: Stores
    redis_url: str
    broker_url: str


@pytest.fixture(scope="class")
async def class_servers(backend: Backend) -> AsyncIterator[Servers]:
    """What `stores`, `redis_url` and `broker_url` give a test, shared by the tests of a class that build on one system
    (the fuzz run's, one per service), with the environment kept as `_no_env_leaks` keeps it: the class's fixture is
    made before the first test's function-scoped ones."""
    chosen = backend.stores
    with pytest.MonkeyPatch.context() as monkeypatch:
        _guard_environment(monkeypatch)
        async with _empty_redis(backend) as redis, _empty_broker(backend) as broker:
            try:
                yield Servers(chosen, redis, broker)
            finally:
                await chosen.empty_all()


@pytest.fixture(autouse=True)
def _no_env_leaks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from what a test passes, never from the developer's shell; passwords hash at the test cost."""
    _guard_environment(monkeypatch)


def _guard_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LIANFANG_") and not name.startswith("LIANFANG_TEST_"):
            monkeypatch.delenv(name)
    for name, value in TEST_HASHING.items():
        monkeypatch.setenv(name, value)
