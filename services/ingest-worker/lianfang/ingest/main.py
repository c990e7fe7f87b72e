"""The ingest worker's process. It has no API: `/healthz`, `/readyz` (records store, broker, the worker itself) and
`/metrics`, with the worker running in the lifespan; or, without HTTP, `run_standalone` until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI

from lianfang.common.app import create_service_app
from lianfang.common.messaging import INGEST_QUEUE, LIANFANG_TOPOLOGY, Topology
from lianfang.common.observability import ReadinessCheck, configure_logging
from lianfang.common.runtime import Runtime
from lianfang.ingest.replicas import ReplicaProbe
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.worker import IngestWorker

__all__ = ["MIGRATIONS", "PREFIX", "create_app", "main", "run_standalone", "running"]

PREFIX = "/api/ingest"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

log = logging.getLogger("lianfang.ingest")


@asynccontextmanager
async def running(worker: IngestWorker) -> AsyncIterator[ReadinessCheck]:
    """Run the worker in the background for the duration of the block, then stop it gracefully: what is in hand is
    stored and acked before the block's exit returns. Yields the readiness check that fails once the worker died."""
    task = asyncio.create_task(worker.run(), name="ingest-worker")

    def report(done: asyncio.Task[None]) -> None:
        if not done.cancelled() and (error := done.exception()) is not None:
            log.error("the ingest worker failed", exc_info=error)

    task.add_done_callback(report)

    async def alive() -> None:
        if task.done():
            raise RuntimeError("the ingest worker has stopped")

    try:
        yield ReadinessCheck("ingest-worker", alive)
    finally:
        worker.stop()
        with suppress(Exception):  # reported as it happened
            await task


def create_app(
    settings: IngestSettings | None = None, *, queue: str = INGEST_QUEUE, topology: Topology = LIANFANG_TOPOLOGY
) -> FastAPI:
    """The worker's process. `queue` and `topology` let tests on a shared RabbitMQ keep to names of their own."""
    settings = settings or IngestSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime() as runtime, AsyncExitStack() as stack:
            database = runtime.database("records-db", settings.records_engine_url, pool_size=3, max_overflow=2)
            # No topology here: the worker declares it itself, and keeps trying while RabbitMQ is down.
            broker = await runtime.broker(settings.broker_url)
            worker = IngestWorker(settings, database, broker, queue=queue, topology=topology)
            app.state.database = database
            app.state.worker = worker
            replicas = ReplicaProbe.of(settings.sharded_store())
            stack.push_async_callback(replicas.close)
            app.state.metric_refreshers = [worker.read_queue_depths, replicas.read]
            async with running(worker) as worker_alive:
                app.state.readiness = [*runtime.readiness, worker_alive]
                yield

    return create_service_app(
        service="ingest", prefix=PREFIX, title="Lianfang 入库服务", settings=settings, lifespan=lifespan
    )


async def run_standalone(settings: IngestSettings | None = None) -> None:
    """The worker without HTTP, until SIGTERM or SIGINT asks for a graceful stop."""
    settings = settings or IngestSettings()
    async with Runtime() as runtime:
        database = runtime.database("records-db", settings.records_engine_url, pool_size=3, max_overflow=2)
        worker = IngestWorker(settings, database, await runtime.broker(settings.broker_url))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop)
        try:
            await worker.run()
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)


def main() -> None:
    """`python -m lianfang.ingest`."""
    settings = IngestSettings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    asyncio.run(run_standalone(settings))
