"""Starting and stopping: graceful stop, the HTTP process around the worker, settings."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import ValidationError

from lianfang.common.testing import serve
from lianfang.ingest.main import create_app
from lianfang.ingest.settings import IngestSettings

from .conftest import Pipeline, created, eventually, handled


class TestGracefulStop:
    async def test_stopping_flushes_the_batch_in_hand_and_acks_it(self, pipeline: Pipeline) -> None:
        """A batch that would wait a minute to fill is written the moment the worker is asked to stop."""
        events = [created() for _ in range(30)]
        worker = pipeline.worker(ingest_batch_size=500, ingest_prefetch=500, ingest_flush_ms=60_000)
        task = asyncio.create_task(worker.run())
        await pipeline.publish(*events)
        await _delivered(pipeline)
        assert await pipeline.count() == 0
        started = time.monotonic()
        worker.stop()
        async with asyncio.timeout(10):
            await task
        assert time.monotonic() - started < 5
        assert await pipeline.count() == 30
        assert worker.stats.messages == 30
        assert await pipeline.depth() == 0

    async def test_a_stopped_worker_gives_back_nothing_it_stored(self, pipeline: Pipeline) -> None:
        async with pipeline.running() as worker:
            await pipeline.publish(*(created() for _ in range(10)))
            await handled(worker, 10)
        async with pipeline.running() as again:
            await asyncio.sleep(0.3)
        assert again.stats.messages == 0

    async def test_a_worker_runs_once(self, pipeline: Pipeline) -> None:
        async with pipeline.running() as worker:
            await pipeline.publish(created())
            await handled(worker, 1)
            with pytest.raises(RuntimeError, match="runs once"):
                await worker.run()


async def _delivered(pipeline: Pipeline) -> None:
    async def none_ready() -> bool:
        return await pipeline.depth() == 0

    await eventually(none_ready)
    await asyncio.sleep(0.1)  # for the deliveries to reach the consumer's buffer


class TestProcess:
    async def test_health_readiness_and_metrics_while_the_worker_runs(
        self, pipeline: Pipeline, settings: IngestSettings
    ) -> None:
        app = create_app(settings, queue=pipeline.names.queue, topology=pipeline.names.topology)
        async with serve(app) as client:
            await pipeline.publish(*(created() for _ in range(5)))
            await pipeline.stored(5)
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"] == ["records-db", "rabbitmq", "ingest-worker"]
            metrics = (await client.get("/metrics")).text
            assert "lianfang_ingest_records_stored_total" in metrics
            assert "lianfang_ingest_commit_seconds_bucket" in metrics
            assert (await client.get("/api/ingest/openapi.json")).status_code == 200
            worker = app.state.worker
        assert worker.stats.totals.stored == 5

    async def test_readiness_names_a_records_store_that_is_down(
        self, pipeline: Pipeline, settings: IngestSettings
    ) -> None:
        # A store of one file (not sharded, whichever run this is) that cannot be opened.
        down = settings.model_copy(
            update={
                "records_database_url": "sqlite+aiosqlite:////nonexistent/dir/records.db",
                "records_shard_map": None,
            }
        )
        app = create_app(down, queue=pipeline.names.queue, topology=pipeline.names.topology)
        async with serve(app) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["detail"] == "无法连接：records-db"


class TestSettings:
    def test_a_prefetch_smaller_than_a_batch_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="LIANFANG_INGEST_PREFETCH"):
            IngestSettings(ingest_prefetch=100, ingest_batch_size=500)

    def test_a_shard_map_wants_the_front_of_a_mysql_store(self) -> None:
        with pytest.raises(ValidationError, match="LIANFANG_RECORDS_SHARD_MAP needs"):
            IngestSettings(records_shard_map="deploy/shards.toml")

    def test_production_wants_real_servers_but_no_redis(self) -> None:
        with pytest.raises(ValidationError) as refused:
            IngestSettings(env="production")
        message = str(refused.value)
        assert "LIANFANG_RECORDS_DATABASE_URL" in message
        assert "LIANFANG_BROKER_URL" in message
        assert "LIANFANG_REDIS_URL" not in message

    def test_the_writer_process_follows_the_broker_unless_set(self) -> None:
        assert IngestSettings(broker_url="amqp://rabbitmq/").ingest_writer_process is True
        assert IngestSettings(broker_url="memory://").ingest_writer_process is False
        assert IngestSettings(broker_url="amqp://rabbitmq/", ingest_writer_process=False).ingest_writer_process is False

    def test_mysql_connects_with_prepared_statements(self) -> None:
        mysql = IngestSettings(records_database_url="mysql+asyncmy://lf:secret@db:3306/records")
        assert mysql.records_engine_url == "mysql+asyncmy://lf:secret@db:3306/records?stmt_cache_size=64"
        chosen = IngestSettings(records_database_url="mysql+asyncmy://db/records?stmt_cache_size=8")
        assert chosen.records_engine_url == "mysql+asyncmy://db/records?stmt_cache_size=8"
        assert IngestSettings().records_engine_url == "sqlite+aiosqlite:///.lianfang/records.db"

    def test_defaults(self) -> None:
        settings = IngestSettings()
        assert (settings.ingest_prefetch, settings.ingest_batch_size, settings.ingest_flush_ms) == (2000, 500, 50)
        assert settings.records_database_url == "sqlite+aiosqlite:///.lianfang/records.db"
