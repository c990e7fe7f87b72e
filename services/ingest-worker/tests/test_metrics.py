"""What the worker's `/metrics` tells the on-call: the lag, the queues' depths, each node's batches and whether it is up."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from lianfang.common.contracts.events import created_routing_key
from lianfang.common.testing import Scraped, scrape, serve
from lianfang.ingest.main import create_app
from lianfang.ingest.settings import IngestSettings
from lianfang.ingest.writer import UNSHARDED

from .conftest import CITY, Pipeline, created, eventually

pytestmark = pytest.mark.usefixtures("backend")


def made_at(seconds_ago: float) -> uuid.UUID:
    """A UUIDv7 as the check-in service makes it, `seconds_ago` in the past."""
    ms = int((time.time() - seconds_ago) * 1000)
    return uuid.UUID(int=ms << 80 | 0x7 << 76 | 0b10 << 62 | int.from_bytes(os.urandom(7)))


class TestWorkerMetrics:
    async def test_a_store_down_shows_the_lag_growing_and_the_node_down(
        self, pipeline: Pipeline, settings: IngestSettings
    ) -> None:
        down = settings.model_copy(
            update={
                "records_database_url": "sqlite+aiosqlite:////nonexistent/dir/records.db",
                "records_shard_map": None,
            }
        )
        app = create_app(down, queue=pipeline.names.queue, topology=pipeline.names.topology)
        event = created(id=made_at(90))
        async with serve(app) as client:
            await pipeline.broker.publish(
                pipeline.names.events,
                created_routing_key(CITY),
                event.model_dump_json().encode(),
                message_id=str(event.id),
            )
            scraped = Scraped()

            async def held() -> bool:
                nonlocal scraped
                scraped = await scrape(client)
                return scraped.value("lianfang_ingest_paused") == 1

            await eventually(held)
            assert 90 <= scraped.value("lianfang_ingest_lag_seconds") < 120
            assert scraped.value("lianfang_ingest_node_up", node=UNSHARDED) == 0
            assert scraped.value("lianfang_dependency_up", dependency="records-db") == 0
            assert scraped.value("lianfang_dependency_up", dependency="rabbitmq") == 1
            assert scraped.value("lianfang_ingest_queue_messages", queue=pipeline.names.dead_queue) == 0

    async def test_stored_batches_are_counted_per_node_and_the_queues_read_empty(
        self, pipeline: Pipeline, settings: IngestSettings
    ) -> None:
        app = create_app(settings, queue=pipeline.names.queue, topology=pipeline.names.topology)
        store = settings.sharded_store()
        node = store.shard_map.node_of(CITY).name if store is not None else UNSHARDED
        async with serve(app) as client:
            before = await scrape(client)
            await pipeline.publish(*(created() for _ in range(5)))
            await pipeline.stored(5)
            after = Scraped()

            async def settled() -> bool:
                nonlocal after
                after = await scrape(client)
                return after.value("lianfang_ingest_queue_messages", queue=pipeline.names.queue) == 0

            await eventually(settled)
        name = "lianfang_ingest_node_batch_events_sum"
        assert after.value(name, node=node) - before.value(name, node=node) == 5
        assert after.value("lianfang_ingest_node_store_seconds_count", node=node) > before.value(
            "lianfang_ingest_node_store_seconds_count", node=node
        )
        assert after.value("lianfang_ingest_node_up", node=node) == 1
        assert after.value("lianfang_ingest_lag_seconds") == 0
        assert after.value("lianfang_ingest_queue_messages", queue=pipeline.names.dead_queue) == 0
        assert (
            after.value("lianfang_ingest_records_stored_total") - before.value("lianfang_ingest_records_stored_total")
            == 5
        )

    async def test_each_shard_replica_is_watched_when_the_store_is_sharded(
        self, pipeline: Pipeline, settings: IngestSettings
    ) -> None:
        app = create_app(settings, queue=pipeline.names.queue, topology=pipeline.names.topology)
        async with serve(app) as client:
            scraped = await scrape(client)
        store = settings.sharded_store()
        watched = {dict(labels)["shard"] for name, labels in scraped if name == "lianfang_records_replica_up"}
        if store is None:
            assert watched <= {"s1", "s2"}  # another test's sharded worker in this process, or none
            return
        assert watched == {shard.name for shard in store.shard_map.shards}
        for shard in store.shard_map.shards:
            assert scraped.value("lianfang_records_replica_up", shard=shard.name) == 1
            assert 0 <= scraped.value("lianfang_records_replica_lag_seconds", shard=shard.name) < 10
