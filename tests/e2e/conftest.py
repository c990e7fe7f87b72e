"""The cluster the end-to-end suite talks to: found running at https://localhost:8443, or started for the suite on the
servers of LIANFANG_TEST_* (own databases, dropped afterwards; its own Redis, as `make cluster` runs it) and stopped when
the suite is done. `sharded_cluster` is `make cluster SHARDS=2`: the records store on the shards of deploy/shards.toml."""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from lianfang.common.shards import ShardedStore, ShardMap

CHECKOUT = Path(__file__).resolve().parents[2]
RUN_DIR = CHECKOUT / ".cluster"
HTTPS_URL = "https://localhost:8443"
HTTP_URL = "http://localhost:8080"
REAL_VARIABLES = ("LIANFANG_TEST_MYSQL_URL", "LIANFANG_TEST_AMQP_URL", "LIANFANG_TEST_REDIS_URL")
STORES = ("accounts", "registry", "records", "trace")


@dataclass(frozen=True)
class Cluster:
    url: str
    run_dir: Path
    root_password: str
    tls: ssl.SSLContext
    # The records store's shards, when it has them.
    shards: ShardedStore | None = None

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.tls, timeout=30.0, **kwargs)  # type: ignore[arg-type]

    def async_client(self, **kwargs: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, verify=self.tls, timeout=70.0, **kwargs)  # type: ignore[arg-type]

    def pid(self, process: str) -> int:
        return int((self.run_dir / "pids" / f"{process}.pid").read_text().split()[0])


def _tls() -> ssl.SSLContext:
    """Trusts the cluster's self-signed certificate (made by `make cluster`) besides the usual authorities."""
    context = ssl.create_default_context()
    local = CHECKOUT / "deploy" / "certs" / "localhost.crt"
    if local.exists():
        context.load_verify_locations(local)
    return context


def _is_up(tls: ssl.SSLContext) -> bool:
    try:
        return httpx.get(f"{HTTPS_URL}/healthz", verify=tls, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _lianfang(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lianfang"), *args],
        cwd=CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"lianfang {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


async def _drop_databases(server_url: str, prefix: str) -> None:
    server = create_async_engine(make_url(server_url).set(database=""))
    try:
        async with server.begin() as connection:
            for store in STORES:
                await connection.execute(text(f"DROP DATABASE IF EXISTS `{prefix}{store}`"))
    finally:
        await server.dispose()


def _started(shards: int) -> Iterator[Cluster]:
    """A cluster of the suite's own, on databases of its own, stopped and dropped afterwards."""
    urls = {name: os.environ[name] for name in REAL_VARIABLES}
    prefix = f"lianfang_e2e_{uuid.uuid4().hex[:8]}_"
    # Only what is given here: the developer's own LIANFANG_* settings are for their own cluster.
    env = {name: value for name, value in os.environ.items() if not name.startswith("LIANFANG_")} | {
        "LIANFANG_CLUSTER_DIR": str(RUN_DIR),
        "LIANFANG_CLUSTER_MYSQL_URL": urls["LIANFANG_TEST_MYSQL_URL"],
        "LIANFANG_CLUSTER_DATABASE_PREFIX": prefix,
        "LIANFANG_CLUSTER_SHARDS": str(shards),
        "LIANFANG_BROKER_URL": urls["LIANFANG_TEST_AMQP_URL"],
        # The streams of check-ins below are machines, far past a person's share of the per-resident limit.
        "LIANFANG_CHECKIN_BURST": "1000",
        "LIANFANG_CHECKIN_RATE_PER_SECOND": "100",
        "LIANFANG_ROOT_PASSWORD": f"E2e-{uuid.uuid4().hex[:12]}",
    }
    # The cluster's own Redis starts empty: what an earlier run left in its append-only file is not this suite's.
    shutil.rmtree(RUN_DIR / "redis", ignore_errors=True)
    groups = ["cluster", "shards"] if shards else ["cluster"]
    subprocess.run([str(CHECKOUT / "deploy" / "install-packages.sh"), *groups], check=True)
    _lianfang(env, "cluster", "up")
    try:
        yield Cluster(
            HTTPS_URL, RUN_DIR, env["LIANFANG_ROOT_PASSWORD"], _tls(), sharded_store(prefix) if shards else None
        )
    finally:
        if shards:
            _lianfang(env, "shards", "up")  # a test may have stopped one: its databases go too
            asyncio.run(_drop_sharded(sharded_store(prefix)))
        _lianfang(env, "cluster", "down")
        asyncio.run(_drop_databases(urls["LIANFANG_TEST_MYSQL_URL"], prefix))


def sharded_store(prefix: str) -> ShardedStore:
    """The records store of a sharded cluster (the local topology's fronts)."""
    database = f"{prefix}records"
    return ShardedStore(
        ShardMap.load(CHECKOUT / "deploy" / "shards.toml"),
        f"mysql+asyncmy://root@127.0.0.1:3309/{database}",
        f"mysql+asyncmy://root@127.0.0.1:3319/{database}",
    )


async def _drop_sharded(store: ShardedStore) -> None:
    for url in (store.write_url, store.read_url, *store.backend_urls().values()):
        parsed = make_url(url)
        server = create_async_engine(parsed.set(database=""))
        try:
            async with server.begin() as connection:
                await connection.execute(text(f"DROP DATABASE IF EXISTS `{parsed.database}`"))
        finally:
            await server.dispose()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    tls = _tls()
    if _is_up(tls):
        password = os.environ.get("LIANFANG_ROOT_PASSWORD") or (RUN_DIR / "root-password.txt").read_text().strip()
        yield Cluster(HTTPS_URL, RUN_DIR, password, tls)
        return
    yield from _started(shards=0)


@pytest.fixture(scope="module")
def sharded_cluster() -> Iterator[Cluster]:
    """`make cluster SHARDS=2` of its own: a cluster found running is not asked to give its shards away."""
    if _is_up(_tls()):
        pytest.fail("a cluster is running at https://localhost:8443: `make cluster-stop` before the sharded suite")
    yield from _started(shards=2)
