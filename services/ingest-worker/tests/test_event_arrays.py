"""Messages that carry several events, as the check-in service sends the events of one moment: a JSON array."""

from __future__ import annotations

import uuid

from lianfang.common.contracts.events import CheckinCreated, RecordStatus, batch_body

from .conftest import Pipeline, created, decided, handled


def array_of(*events: CheckinCreated) -> bytes:
    return batch_body([event.model_dump_json().encode() for event in events])


async def test_every_event_of_a_message_is_stored(pipeline: Pipeline) -> None:
    events = [created() for _ in range(5)]
    async with pipeline.running() as worker:
        await pipeline.publish_raw(array_of(*events))
        await handled(worker, 1)

    assert sorted(row.id for row in await pipeline.records()) == sorted(event.id for event in events)
    assert worker.stats.totals.stored == 5


async def test_a_message_delivered_again_is_stored_once(pipeline: Pipeline) -> None:
    events = [created() for _ in range(3)]
    async with pipeline.running() as worker:
        await pipeline.publish_raw(array_of(*events))
        await pipeline.publish_raw(array_of(*events))
        await handled(worker, 2)

    assert await pipeline.count() == 3
    assert worker.stats.totals.duplicates == 3


async def test_an_unreadable_event_is_dead_lettered_alone_and_the_others_stored(pipeline: Pipeline) -> None:
    good = [created() for _ in range(2)]
    too_long = created(checkpoint_kind="x" * 17)
    wrong_city = created().model_dump_json().replace('"city_code":"1301"', '"city_code":"13"').encode()
    body = batch_body(
        [
            good[0].model_dump_json().encode(),
            wrong_city,
            too_long.model_dump_json().encode(),
            good[1].model_dump_json().encode(),
        ]
    )
    async with pipeline.running() as worker:
        await pipeline.publish_raw(body)
        await handled(worker, 1)

    assert sorted(row.id for row in await pipeline.records()) == sorted(event.id for event in good)
    letters = sorted(await pipeline.dead_letters(2), key=lambda letter: letter.reason)
    assert [letter.reason.split(":", 1)[0] for letter in letters] == ["invalid_event", "invalid_event"]
    assert CheckinCreated.model_validate_json(letters[0].body).id == too_long.id
    assert letters[0].reason == "invalid_event: checkpoint_kind is longer than 16"
    assert letters[1].reason.startswith("invalid_event: city_code: String should match pattern")
    assert b'"city_code":"13"' in letters[1].body
    assert worker.stats.dead_lettered == {"invalid_event": 2}


async def test_an_event_the_database_refuses_is_dead_lettered_alone(pipeline: Pipeline) -> None:
    stored = created()
    clash = stored.model_copy(update={"client_key": uuid.uuid4()})
    others = [created() for _ in range(3)]
    async with pipeline.running() as worker:
        await pipeline.publish(stored)
        await pipeline.stored(1)
        await pipeline.publish_raw(array_of(others[0], clash, others[1], others[2]))
        await handled(worker, 2)

    assert sorted(row.id for row in await pipeline.records()) == sorted(event.id for event in [stored, *others])
    (letter,) = await pipeline.dead_letters(1)
    assert letter.body == clash.model_dump_json().encode()
    assert letter.reason.startswith("unstorable: IntegrityError")


async def test_messages_that_are_not_arrays_of_events_go_whole(pipeline: Pipeline) -> None:
    bodies = {b"[]": "invalid_event: the message holds an empty list of events", b"[{not json": "invalid_json"}
    async with pipeline.running() as worker:
        for body in bodies:
            await pipeline.publish_raw(body)
        await handled(worker, 2)

    letters = {letter.body: letter.reason for letter in await pipeline.dead_letters(2)}
    assert letters.keys() == bodies.keys()
    for body, reason in bodies.items():
        assert letters[body].startswith(reason)
    assert await pipeline.count() == 0


async def test_a_record_and_its_decision_in_one_message(pipeline: Pipeline) -> None:
    record = created(status=RecordStatus.pending)
    approval = decided(record, RecordStatus.passed)
    async with pipeline.running() as worker:
        await pipeline.publish_raw(batch_body([record.model_dump_json().encode(), approval.model_dump_json().encode()]))
        await handled(worker, 1)

    (row,) = await pipeline.records()
    assert row.status == "passed"
