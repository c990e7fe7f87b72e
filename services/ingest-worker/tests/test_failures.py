"""What the worker does with messages it cannot read or store, and while the records store or the broker is down."""

from __future__ import annotations

import asyncio
import shutil
import uuid

import pytest
from yarl import URL

from lianfang.common.db import create_database
from lianfang.common.messaging import connect_broker
from lianfang.common.testing.plugin import Backend
from lianfang.ingest.main import MIGRATIONS
from lianfang.ingest.worker import IngestWorker

from .conftest import Pipeline, created, eventually, handled, store_locked


class TestDeadLetters:
    async def test_unreadable_messages_go_to_the_dead_queue_with_the_reason(self, pipeline: Pipeline) -> None:
        good = [created() for _ in range(3)]
        too_long = created(checkpoint_kind="x" * 17)
        bodies = {
            b"{not json": "invalid_json: Invalid JSON",
            b'{"event": "checkin.moved", "schema_version": 1}': "unknown_event: Input tag 'checkin.moved'",
            created().model_dump_json().replace('"schema_version":1', '"schema_version":2').encode(): (
                "unknown_schema_version: checkin.created schema_version is not 1"
            ),
            created().model_dump_json().replace('"city_code":"1301"', '"city_code":"13"').encode(): (
                "invalid_event: city_code: String should match pattern"
            ),
            too_long.model_dump_json().encode(): "invalid_event: checkpoint_kind is longer than 16",
        }
        async with pipeline.running() as worker:
            await pipeline.publish(good[0])
            for body in bodies:
                await pipeline.publish_raw(body)
            await pipeline.publish(*good[1:])
            await handled(worker, 8)
        assert sorted(row.id for row in await pipeline.records()) == sorted(event.id for event in good)
        letters = {letter.body: letter.reason for letter in await pipeline.dead_letters(5)}
        assert letters.keys() == bodies.keys()
        for body, reason in bodies.items():
            assert letters[body].startswith(reason)
        assert worker.stats.dead_lettered == {
            "invalid_json": 1,
            "unknown_event": 1,
            "unknown_schema_version": 1,
            "invalid_event": 2,
        }

    async def test_a_message_the_database_refuses_is_dead_lettered_and_the_rest_stored(
        self, pipeline: Pipeline
    ) -> None:
        """A record id already stored under another client key: the store's primary key refuses it, the batch is
        written again one message at a time, and only that message goes."""
        stored = created()
        clash = stored.model_copy(update={"client_key": uuid.uuid4()})
        others = [created() for _ in range(4)]
        async with pipeline.running() as worker:
            await pipeline.publish(stored)
            await pipeline.stored(1)
            await pipeline.publish(others[0], others[1], clash, others[2], others[3])
            await handled(worker, 6)
        assert sorted(row.id for row in await pipeline.records()) == sorted(event.id for event in [stored, *others])
        (letter,) = await pipeline.dead_letters(1)
        assert letter.body == clash.model_dump_json().encode()
        assert letter.reason.startswith("unstorable: IntegrityError")
        assert worker.stats.write_failures == 0


class TestStoreDown:
    async def test_a_locked_store_holds_the_batch_unacked_and_stores_it_once_free(self, pipeline: Pipeline) -> None:
        events = [created() for _ in range(20)]
        async with pipeline.running() as worker:
            await pipeline.publish(created())
            await pipeline.stored(1)
            async with store_locked(pipeline.database):
                await pipeline.publish(*events)
                await eventually(lambda: _failed(worker, 2))
                assert await pipeline.count() == 1
                assert await pipeline.depth() == 0  # delivered to the worker, which holds them
                assert worker.stats.messages == 1
            await pipeline.stored(21)
            await handled(worker, 21)
        assert await pipeline.count() == 21
        assert await pipeline.depth() == 0
        await pipeline.dead_letters(0)

    async def test_stopping_while_the_store_is_down_hands_the_messages_back(
        self, pipeline: Pipeline, backend: Backend
    ) -> None:
        """The records store is not there at all (SQLite: no tables yet; MariaDB: no database): the worker holds the
        messages; asked to stop it gives them back unacked, and a worker started once the store is up stores them."""
        store = f"late{uuid.uuid4().hex[:8]}"
        url = backend.database_url(store)
        missing = create_database(url)
        events = [created() for _ in range(20)]
        worker = pipeline.worker(database=missing)
        try:
            async with pipeline.running(worker):
                await pipeline.publish(*events)
                await eventually(lambda: _failed(worker, 2))
                assert await pipeline.depth() == 0
            assert worker.stats.messages == 0
            await eventually(lambda: _depth(pipeline, 20))
        finally:
            await missing.dispose()

        await backend.create_database(store, MIGRATIONS)
        database = create_database(url)
        try:
            async with pipeline.running(pipeline.worker(database=database)) as recovered:
                await handled(recovered, 20)
            assert recovered.stats.totals.stored == 20
        finally:
            await database.dispose()


class TestBrokerDown:
    @pytest.mark.real
    async def test_a_cut_connection_redelivers_what_was_not_acked_and_nothing_is_stored_twice(
        self, pipeline: Pipeline, backend: Backend
    ) -> None:
        """The worker's connection is closed while it holds a batch it cannot commit yet; once it commits, the ack
        has nowhere to go, RabbitMQ redelivers the batch on the new connection, and the keys absorb it."""
        if not backend.real:
            pytest.skip("cuts a RabbitMQ connection")
        if shutil.which("rabbitmqctl") is None:
            pytest.skip("needs rabbitmqctl to close the worker's connection")
        name = f"ingest-test-{uuid.uuid4().hex[:8]}"
        # A connection of its own, named so that it alone is cut; the test publishes through another.
        worker_broker = connect_broker(str(URL(pipeline.settings.broker_url).update_query(name=name)))
        events = [created() for _ in range(20)]
        worker = pipeline.worker(broker=worker_broker)
        try:
            async with pipeline.running(worker):
                await pipeline.publish(created())
                await pipeline.stored(1)
                async with store_locked(pipeline.database):
                    await pipeline.publish(*events)
                    await eventually(lambda: _failed(worker, 1))
                    await _close_connection(name)
                await eventually(lambda: _redelivered_and_stored(pipeline, worker, 21), within=30)
                later = [created() for _ in range(5)]
                await pipeline.publish(*later)
                await pipeline.stored(26)
                await handled(worker, 26)
            assert await pipeline.count() == 26
            assert await pipeline.keys() == 26
            assert await pipeline.depth() == 0
        finally:
            await worker_broker.close()


async def _failed(worker: IngestWorker, count: int) -> bool:
    return worker.stats.write_failures >= count


async def _redelivered_and_stored(pipeline: Pipeline, worker: IngestWorker, count: int) -> bool:
    """The held batch came back after its commit (its ack was lost with the connection) and was absorbed."""
    return worker.stats.totals.duplicates > 0 and await pipeline.count() == count


async def _depth(pipeline: Pipeline, count: int) -> bool:
    return await pipeline.depth() == count


async def _close_connection(name: str) -> None:
    listing = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "-q", "list_connections", "pid", "client_properties", stdout=asyncio.subprocess.PIPE
    )
    output, _ = await listing.communicate()
    pids = [line.split("\t")[0] for line in output.decode().splitlines() if f'"{name}"' in line]
    assert len(pids) == 1, output
    closing = await asyncio.create_subprocess_exec("rabbitmqctl", "-q", "close_connection", pids[0], "test: cut")
    assert await closing.wait() == 0
