"""The two writers behave alike: inline (the embedded mode) and in a process of its own (the cluster)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from lianfang.common.contracts.events import RecordStatus
from lianfang.ingest.writer import ProcessWriter

from .conftest import Pipeline, created, decided, eventually, handled


@pytest.mark.parametrize("in_process", [False, True], ids=["inline", "writer-process"])
async def test_a_mixed_batch_is_stored_once_and_the_unreadable_dead_lettered(
    pipeline: Pipeline, in_process: bool
) -> None:
    record = created(status=RecordStatus.pending)
    others = [created() for _ in range(40)]
    async with pipeline.running(pipeline.worker(ingest_writer_process=in_process)) as worker:
        assert isinstance(worker.writer, ProcessWriter) is in_process
        await pipeline.publish(decided(record, RecordStatus.rejected), *others[:20])
        await pipeline.publish_raw(b"[1, 2")
        await pipeline.publish(record, *others, others[0])
        await handled(worker, 64)
    assert await pipeline.count() == 41
    assert {row.id: row.status for row in await pipeline.records()}[record.id] == "rejected"
    (letter,) = await pipeline.dead_letters(1)
    assert letter.reason.startswith("invalid_json")
    assert worker.stats.totals.duplicates == 21


async def test_a_writer_process_that_dies_is_replaced_and_its_batch_written(pipeline: Pipeline) -> None:
    async with pipeline.running(pipeline.worker(ingest_writer_process=True)) as worker:
        writer = worker.writer
        assert isinstance(writer, ProcessWriter)
        await pipeline.publish(*(created() for _ in range(10)))
        await handled(worker, 10)
        first = writer.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await pipeline.publish(*(created() for _ in range(10)))
        await handled(worker, 20)

        async def replaced() -> bool:
            return writer.pid not in (None, first)

        await eventually(replaced)
    assert await pipeline.count() == 20
    assert worker.stats.write_failures >= 1


async def test_batches_held_by_a_writer_process_that_dies_all_fail_and_one_child_replaces_it(
    pipeline: Pipeline,
) -> None:
    async with pipeline.running(pipeline.worker(ingest_writer_process=True)) as worker:
        writer = worker.writer
        assert isinstance(writer, ProcessWriter)
        await writer.start()
        first = writer.pid
        assert first is not None
        batches = [[created().model_dump_json().encode()] for _ in range(3)]

        os.kill(first, signal.SIGKILL)
        outcomes = await asyncio.gather(*(writer.write(batch) for batch in batches), return_exceptions=True)
        after_the_death = [type(outcome).__name__ for outcome in outcomes]
        retried = await asyncio.gather(*(writer.write(batch) for batch in batches))
        second = writer.pid

    assert after_the_death == ["StoreDown"] * 3
    assert [written.outcome.stored for written in retried] == [1, 1, 1]
    assert second not in (None, first)
    assert await pipeline.count() == 3


async def test_a_worker_killed_outright_leaves_no_writer_process_behind(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "LIANFANG_RECORDS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'records.db'}",
        "LIANFANG_BROKER_URL": "memory://",
        "LIANFANG_INGEST_WRITER_PROCESS": "true",
        "LIANFANG_LOG_JSON": "false",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lianfang.ingest", env=environment, stderr=asyncio.subprocess.PIPE
    )
    assert worker.stderr is not None
    try:
        async with asyncio.timeout(30):
            while not (started := re.search(rb"writer process (\d+) started", await worker.stderr.readline())):
                pass
        writer = int(started.group(1))
    finally:
        worker.kill()
        await worker.wait()

    async def gone() -> bool:
        try:
            os.kill(writer, 0)
        except ProcessLookupError:
            return True
        return False

    await eventually(gone, within=10)


async def test_a_writer_goes_at_once_when_its_parent_is_no_longer_the_worker_that_started_it() -> None:
    # A worker killed while its writer was still importing: the writer's parent is already init when the watch starts.
    watcher = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; from lianfang.ingest.writer import exit_with; exit_with(os.getppid() + 1)"
    )
    # Bounded only against hanging: Python's start and the import alone can take seconds on a loaded machine.
    async with asyncio.timeout(60):
        assert await watcher.wait() == 1
