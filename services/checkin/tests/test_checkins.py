from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import TypeAdapter
from redis.asyncio import Redis

from lianfang.checkin.keys import CLAIM_SECONDS, client_key, temperature_key
from lianfang.checkin.settings import CheckinSettings
from lianfang.common.contracts.events import Ancestry, CheckinCreated
from lianfang.common.messaging import BrokerUnavailable

from .conftest import FakeRegistry, Instance, Serve, checkin_settings
from .support import (
    CHECKINS,
    GATE,
    HOSPITAL_GATE,
    MARKET,
    PII,
    Json,
    Published,
    admin,
    answers_of,
    decrypted,
    field_errors,
    gate_answers,
    hospital_answers,
    id_card,
    resident,
    seed,
    staff,
)

pytestmark = pytest.mark.usefixtures("backend")

CheckinCreatedArray = TypeAdapter(list[CheckinCreated])


def body(
    code: str = GATE.code, *, client_id: uuid.UUID | None = None, temperature: float | None = 36.5, **more: object
) -> Json:
    values: Json = {
        "checkpoint_code": code,
        "client_id": str(client_id or uuid.uuid4()),
        "answers": hospital_answers() if code == HOSPITAL_GATE.code else gate_answers(),
    }
    if temperature is not None:
        values["temperature"] = temperature
    return values | more


async def check_in(client: httpx.AsyncClient, headers: dict[str, str], **values: object) -> Json:
    response = await client.post(CHECKINS, json=body(**values), headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    receipt: Json = response.json()
    return receipt


class TestSubmit:
    async def test_a_receipt_comes_with_the_event_the_broker_confirmed(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = uuid.uuid4()
        client_id = uuid.uuid4()

        response = await client.post(
            CHECKINS, json=body(client_id=client_id, temperature=36.54, direction="out"), headers=resident(person)
        )

        assert response.status_code == 201, response.text
        receipt = response.json()
        (event,) = await published.created()
        assert receipt == {
            "id": str(event.id),
            "status": "passed",
            "status_label": "准许通行",
            "temperature": {"value": 36.5, "source": "measured", "measured_at": receipt["checked_at"]},
            "checked_at": receipt["checked_at"],
            "direction": "out",
            "checkpoint": {"code": "GATE2345", "name": "育才小区东门", "kind_label": "小区/社区"},
            "name_masked": "张*",
            "companions": [],
        }
        assert datetime.fromisoformat(receipt["checked_at"]) == event.checked_at
        assert (event.client_key, event.resident_id, event.companion_of, event.entered_by) == (
            client_id,
            person,
            None,
            None,
        )
        assert (event.city_code, event.checkpoint_id, event.checkpoint_kind, event.region_id) == (
            "1301",
            101,
            "community",
            420,
        )
        assert event.ancestry == Ancestry(province_id=1, city_id=7, county_id=42, township_id=420)
        assert (event.template_id, event.template_version) == (1, 1)
        assert (event.temperature, event.temperature_source, event.temperature_measured_at) == (
            36.5,
            "measured",
            event.checked_at,
        )
        assert (event.direction, event.status) == ("out", "passed")
        assert answers_of(event) == {
            "name": "张三",
            "phone": "13812345678",
            "address": "3 号楼 2 单元 501",
            "is_resident": True,
        }

    async def test_personal_data_travels_encrypted_with_search_hashes(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        await check_in(client, resident(), code=HOSPITAL_GATE.code)

        (event,) = await published.created()
        person = event.person
        number = id_card("13010219800101123")
        assert (decrypted(person.name_encrypted), person.name_masked) == ("张三", "张*")
        assert (decrypted(person.phone_encrypted), person.phone_masked) == ("13812345678", "138****5678")
        assert (decrypted(person.id_card_encrypted), person.id_card_masked) == (number, f"130{'*' * 11}{number[-4:]}")
        assert (person.name_hash, person.phone_hash, person.id_card_hash) == (
            PII.search_hash("张三"),
            PII.search_hash("13812345678"),
            PII.search_hash(number),
        )
        assert "13812345678" not in event.model_dump_json()

    async def test_receipts_show_beijing_time(self, client: httpx.AsyncClient) -> None:
        person = resident()
        measured = await check_in(client, person, temperature=36.5)
        reused = await check_in(client, person, temperature=None)

        for receipt in (measured, reused):
            assert receipt["checked_at"].endswith("+08:00")
            assert receipt["temperature"]["measured_at"].endswith("+08:00")
        assert reused["temperature"]["measured_at"] == measured["temperature"]["measured_at"]

    async def test_the_event_goes_to_the_city_of_the_checkpoint(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        await check_in(client, resident(), code=HOSPITAL_GATE.code)

        (delivery,) = await published.take(1)
        assert delivery.routing_key == "checkin.created.1302"
        assert delivery.message_id == str(CheckinCreated.model_validate_json(delivery.body).id)

    async def test_a_checkpoint_that_requires_audit_makes_the_record_pending(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        receipt = await check_in(client, resident(), code=HOSPITAL_GATE.code)

        assert (receipt["status"], receipt["status_label"]) == ("pending", "待审核")
        assert (await published.created())[0].status == "pending"

    async def test_a_fever_makes_the_record_abnormal(self, client: httpx.AsyncClient, published: Published) -> None:
        receipt = await check_in(client, resident(), temperature=37.3)

        assert (receipt["status"], receipt["status_label"]) == ("abnormal", "体温异常")
        assert (await published.created())[0].status == "abnormal"

    async def test_a_fever_outranks_the_audit(self, client: httpx.AsyncClient) -> None:
        receipt = await check_in(client, resident(), code=HOSPITAL_GATE.code, temperature=38.2)

        assert receipt["status"] == "abnormal"


class TestRefused:
    async def test_without_a_token_401(self, client: httpx.AsyncClient, published: Published) -> None:
        response = await client.post(CHECKINS, json=body())

        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
        await published.nothing()

    async def test_staff_and_admins_cannot_check_in_as_residents(self, client: httpx.AsyncClient) -> None:
        for headers in (staff(GATE.id), admin()):
            response = await client.post(CHECKINS, json=body(), headers=headers)
            assert response.status_code == 403

    async def test_an_unknown_checkpoint_404(self, client: httpx.AsyncClient, published: Published) -> None:
        response = await client.post(CHECKINS, json=body("NOPE2345"), headers=resident())

        assert response.status_code == 404
        assert response.json()["code"] == "checkpoint_not_found"
        await published.nothing()

    async def test_a_closed_checkpoint_409(self, client: httpx.AsyncClient, cache: Redis, published: Published) -> None:
        await seed(cache, GATE.model_copy(update={"code": "SHUT2345", "active": False}))

        response = await client.post(CHECKINS, json=body("SHUT2345"), headers=resident())

        assert response.status_code == 409
        assert response.json()["code"] == "checkpoint_closed"
        await published.nothing()

    async def test_every_bad_answer_is_named_and_nothing_is_published(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        answers = {"phone": "1381234567", "address": "", "is_resident": "maybe", "pets": 2}

        response = await client.post(CHECKINS, json=body(answers=answers), headers=resident())

        assert [(error["field"], error["code"]) for error in field_errors(response)] == [
            ("answers.name", "missing"),
            ("answers.phone", "invalid"),
            ("answers.address", "missing"),
            ("answers.is_resident", "invalid"),
            ("answers.pets", "unknown_field"),
        ]
        assert response.json()["detail"] == "请检查：姓名、手机号、住址/楼号、是否本小区居民"
        await published.nothing()

    async def test_companions_answers_are_named_by_their_place(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        companions = [
            {"answers": gate_answers("李小明"), "temperature": 36.6},
            {"answers": gate_answers("李小红", phone="12345"), "temperature": 36.7},
        ]

        response = await client.post(CHECKINS, json=body(companions=companions), headers=resident())

        assert [error["field"] for error in field_errors(response)] == ["companions.1.answers.phone"]
        assert response.json()["detail"] == "请检查本人及同行人员填写的内容"
        await published.nothing()

    @pytest.mark.parametrize("temperature", [34.9, 42.6, "hot"])
    async def test_a_temperature_outside_35_to_42_5_is_refused(
        self, client: httpx.AsyncClient, temperature: object
    ) -> None:
        companions = [{"answers": gate_answers("李小明"), "temperature": temperature}]

        response = await client.post(
            CHECKINS, json=body(companions=companions) | {"temperature": temperature}, headers=resident()
        )

        assert [error["field"] for error in field_errors(response)] == ["temperature", "companions.0.temperature"]

    async def test_the_limits_themselves_are_accepted(self, client: httpx.AsyncClient) -> None:
        low = await check_in(client, resident(), temperature=35.0)
        high = await check_in(client, resident(), temperature=42.5)

        assert (low["temperature"]["value"], high["temperature"]["value"]) == (35.0, 42.5)


class TestTemperature:
    async def test_without_a_measurement_the_temperature_is_asked_for(
        self, client: httpx.AsyncClient, cache: Redis, published: Published
    ) -> None:
        client_id = uuid.uuid4()

        response = await client.post(CHECKINS, json=body(client_id=client_id, temperature=None), headers=resident())

        assert field_errors(response) == [
            {"field": "temperature", "message": "请测量体温后填写", "code": "temperature_required"}
        ]
        await published.nothing()
        # The client id is free again: the retry with a temperature checks in.
        assert await cache.get(client_key(client_id)) is None
        retried = await client.post(CHECKINS, json=body(client_id=client_id), headers=resident())
        assert retried.status_code == 201

    async def test_a_valid_measurement_is_reused_at_another_checkpoint_of_another_city(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = resident()
        first = await check_in(client, person, temperature=36.8)

        second = await check_in(client, person, code=HOSPITAL_GATE.code, temperature=None)

        assert second["temperature"] == {"value": 36.8, "source": "reused", "measured_at": first["checked_at"]}
        _, event = await published.created(2)
        assert (event.temperature, event.temperature_source) == (36.8, "reused")
        assert event.temperature_measured_at == datetime.fromisoformat(first["checked_at"])

    async def test_a_new_measurement_replaces_the_last(self, client: httpx.AsyncClient) -> None:
        person = resident()
        await check_in(client, person, temperature=36.8)
        await check_in(client, person, temperature=36.2)

        third = await check_in(client, person, temperature=None)

        assert third["temperature"]["value"] == 36.2

    async def test_a_measurement_older_than_the_checkpoints_validity_is_not_reused(
        self, client: httpx.AsyncClient, cache: Redis
    ) -> None:
        person_id = uuid.uuid4()
        measured = datetime.now(UTC) - timedelta(minutes=31)
        await cache.set(temperature_key(f"resident:{person_id}"), f"36.6|{int(measured.timestamp() * 1000)}")

        at_hospital = await client.post(
            CHECKINS, json=body(HOSPITAL_GATE.code, temperature=None), headers=resident(person_id)
        )
        at_gate = await check_in(client, resident(person_id), temperature=None)

        assert field_errors(at_hospital)[0]["message"] == "上次测量已超过本卡口的体温有效期（30 分钟），请重新测量"
        assert at_gate["temperature"]["source"] == "reused"

    async def test_a_checkpoint_without_validity_always_asks(self, client: httpx.AsyncClient) -> None:
        person = resident()
        await check_in(client, person)

        response = await client.post(CHECKINS, json=body(MARKET.code, temperature=None), headers=person)

        assert field_errors(response)[0]["code"] == "temperature_required"

    async def test_temperatures_are_not_shared_between_residents(self, client: httpx.AsyncClient) -> None:
        await check_in(client, resident())

        response = await client.post(CHECKINS, json=body(temperature=None), headers=resident())

        assert field_errors(response)[0]["field"] == "temperature"


class TestCompanions:
    async def test_each_companion_gets_a_record_of_their_own(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = uuid.uuid4()
        client_id = uuid.uuid4()
        companions = [
            {"answers": gate_answers("李小明"), "temperature": 36.6},
            {"answers": gate_answers("王奶奶", phone="13900000001"), "temperature": 37.9},
        ]

        receipt = await check_in(client, resident(person), client_id=client_id, companions=companions)

        (message,) = await published.take(1)
        assert len(json.loads(message.body)) == 3  # the household's events travel in one message
        by_id = {event.id: event for event in CheckinCreatedArray.validate_json(message.body)}
        main, child, grandmother = (
            by_id[uuid.UUID(receipt["id"])],
            *(by_id[uuid.UUID(c["id"])] for c in receipt["companions"]),
        )
        assert [(companion["status"], companion["name_masked"]) for companion in receipt["companions"]] == [
            ("passed", "李**"),
            ("abnormal", "王**"),
        ]
        assert [decrypted(event.person.name_encrypted) for event in (main, child, grandmother)] == [
            "张三",
            "李小明",
            "王奶奶",
        ]
        assert [event.companion_of for event in (main, child, grandmother)] == [None, main.id, main.id]
        assert [event.client_key for event in (main, child, grandmother)] == [
            client_id,
            uuid.uuid5(client_id, "0"),
            uuid.uuid5(client_id, "1"),
        ]
        assert {event.resident_id for event in (main, child, grandmother)} == {person}
        assert receipt["status"] == "passed"

    async def test_a_companion_without_a_temperature_of_their_own_is_asked_for_it(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        companions = [{"answers": gate_answers("李小明")}, {"answers": gate_answers("李小红"), "temperature": 36.4}]

        response = await client.post(CHECKINS, json=body(companions=companions), headers=resident())

        assert [error["field"] for error in field_errors(response)] == ["companions.0.temperature"]
        await published.nothing()

    async def test_a_companion_is_known_by_their_id_number_wherever_they_check_in(
        self, client: httpx.AsyncClient
    ) -> None:
        child = hospital_answers("李小明", number=id_card("13010220150601002"))
        first_parent, second_parent = resident(), resident()
        await check_in(
            client, first_parent, code=HOSPITAL_GATE.code, companions=[{"answers": child, "temperature": 36.9}]
        )

        again = await check_in(client, second_parent, code=HOSPITAL_GATE.code, companions=[{"answers": child}])

        assert again["companions"][0]["temperature"]["value"] == 36.9
        assert again["companions"][0]["temperature"]["source"] == "reused"

    async def test_children_sharing_a_parents_phone_do_not_share_temperatures(self, client: httpx.AsyncClient) -> None:
        parent = resident()
        await check_in(client, parent, companions=[{"answers": gate_answers("李小明"), "temperature": 36.6}])

        response = await client.post(
            CHECKINS, json=body(companions=[{"answers": gate_answers("李小红")}]), headers=parent
        )

        assert [error["field"] for error in field_errors(response)] == ["companions.0.temperature"]

    async def test_a_companion_without_a_phone_is_reached_through_the_residents_and_stays_their_own_person(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        parent = resident()
        child = {k: v for k, v in gate_answers("李小明").items() if k != "phone"}

        receipt = await check_in(client, parent, companions=[{"answers": child, "temperature": 36.6}])
        # Another child of the same phone, without a temperature of their own: nothing of 李小明's is reused.
        refused = await client.post(
            CHECKINS,
            json=body(companions=[{"answers": {**child, "name": "李小红", "phone": ""}}]),
            headers=parent,
        )

        main, companion = await published.created(2)
        assert (companion.person.phone_hash, companion.person.phone_masked) == (
            main.person.phone_hash,
            "138****5678",
        )
        assert (decrypted(companion.person.name_encrypted), companion.person.name_hash) == (
            "李小明",
            PII.search_hash("李小明"),
        )
        assert answers_of(companion)["phone"] == "13812345678"
        assert receipt["companions"][0]["name_masked"] == "李**"
        assert [error["field"] for error in field_errors(refused)] == ["companions.0.temperature"]

    async def test_without_the_residents_phone_a_companions_is_still_asked_for(self, client: httpx.AsyncClient) -> None:
        own = {k: v for k, v in gate_answers().items() if k != "phone"}
        child = {k: v for k, v in gate_answers("李小明").items() if k != "phone"}

        response = await client.post(
            CHECKINS, json=body(answers=own, companions=[{"answers": child, "temperature": 36.6}]), headers=resident()
        )

        assert [(error["field"], error["message"]) for error in field_errors(response)] == [
            ("answers.phone", "请填写手机号"),
            ("companions.0.answers.phone", "请填写手机号"),
        ]


class TestIdempotency:
    async def test_the_same_client_id_answers_with_the_first_receipt_whatever_the_body(
        self, client: httpx.AsyncClient, cache: Redis, published: Published
    ) -> None:
        person = resident()
        client_id = uuid.uuid4()
        first = await client.post(CHECKINS, json=body(client_id=client_id), headers=person)
        await seed(cache, GATE.model_copy(update={"active": False}))

        again = await client.post(
            CHECKINS, json=body(HOSPITAL_GATE.code, client_id=client_id, temperature=39.0), headers=person
        )
        closed = await client.post(CHECKINS, json=body("NOPE2345", client_id=client_id), headers=person)

        assert first.status_code == again.status_code == closed.status_code == 201
        assert again.content == closed.content == first.content
        assert (again.headers["idempotent-replayed"], "idempotent-replayed" in first.headers) == ("true", False)
        await published.created(1)
        await published.nothing()

    async def test_a_retry_whose_body_no_longer_parses_still_gets_the_receipt(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = resident()
        client_id = uuid.uuid4()
        first = await client.post(CHECKINS, json=body(client_id=client_id), headers=person)

        broken = await client.post(
            CHECKINS, json={"client_id": str(client_id), "temperature": "hot", "answers": []}, headers=person
        )

        assert (broken.status_code, broken.content) == (201, first.content)
        await published.created(1)

    async def test_another_resident_replaying_a_client_id_gets_a_409_and_no_receipt(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        client_id = uuid.uuid4()
        first = await client.post(CHECKINS, json=body(client_id=client_id), headers=resident())
        await published.created(1)

        replayed = await client.post(CHECKINS, json=body(client_id=client_id), headers=resident())
        broken = await client.post(CHECKINS, json={"client_id": str(client_id), "answers": []}, headers=resident())

        assert first.status_code == 201
        assert replayed.status_code == 409
        assert replayed.headers["content-type"] == "application/problem+json"
        assert replayed.json()["code"] == "client_id_taken"
        assert first.json()["id"] not in replayed.text
        assert broken.status_code == 422
        await published.nothing()

    async def test_a_body_that_is_not_json_is_a_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            CHECKINS, content=b"{not json", headers=resident() | {"Content-Type": "application/json"}
        )

        assert (response.status_code, response.json()["code"]) == (400, "bad_request")

    async def test_a_body_missing_its_parts_names_them(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CHECKINS, json={"answers": {}}, headers=resident())

        assert [error["field"] for error in field_errors(response)] == ["checkpoint_code", "client_id"]

    async def test_concurrent_duplicates_publish_once_and_share_the_receipt(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = resident()
        same = body(client_id=uuid.uuid4())

        responses = await asyncio.gather(*(client.post(CHECKINS, json=same, headers=person) for _ in range(5)))

        assert {response.status_code for response in responses} == {201}
        assert len({response.content for response in responses}) == 1
        await published.created(1)
        await published.nothing()


class TestResidentLimit:
    async def test_a_resident_posting_past_the_limit_gets_429_with_retry_after_and_others_go_on(
        self, client: httpx.AsyncClient
    ) -> None:
        flooding, neighbour = resident(), resident()

        answers = await asyncio.gather(*(client.post(CHECKINS, json=body(), headers=flooding) for _ in range(30)))
        other = await client.post(CHECKINS, json=body(), headers=neighbour)

        statuses = [answer.status_code for answer in answers]
        assert (statuses.count(201), statuses.count(429)) == (10, 20)
        refused = next(answer for answer in answers if answer.status_code == 429)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "too_many_requests"
        assert int(refused.headers["retry-after"]) >= 1
        assert other.status_code == 201


class TestBrokerDown:
    async def test_503_with_retry_after_and_the_retry_checks_in(
        self, settings: CheckinSettings, start: Serve, cache: Redis, seeded: None, published: Published
    ) -> None:
        client_id = uuid.uuid4()
        person = resident()
        down = settings.model_copy(update={"broker_url": "amqp://guest:guest@127.0.0.1:1/"})
        async with start(down) as unreachable:
            response = await unreachable.client.post(CHECKINS, json=body(client_id=client_id), headers=person)

        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.json()["code"] == "broker_unavailable"
        async with start(settings) as back:
            retried = await back.client.post(CHECKINS, json=body(client_id=client_id), headers=person)
        assert retried.status_code == 201
        assert "idempotent-replayed" not in retried.headers
        await published.created(1)

    async def test_a_publish_whose_answer_was_lost_is_retried_as_the_same_records(
        self, instance: Instance, published: Published, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The broker took the events, but its confirm never came (the connection dropped): the client saw a 503 and
        retries. The retry publishes the very records again, so whichever copy the store keeps is the one its receipt
        names."""
        publisher = instance.app.state.checkins._publisher
        publish = publisher.publish

        async def taken_then_lost(messages: object) -> None:
            await publish(messages)
            raise BrokerUnavailable()

        client_id, person = uuid.uuid4(), resident()
        companions = [{"answers": gate_answers("李小明"), "temperature": 36.4}]
        monkeypatch.setattr(publisher, "publish", taken_then_lost)
        lost = await instance.client.post(
            CHECKINS, json=body(client_id=client_id, companions=companions), headers=person
        )
        monkeypatch.undo()
        retried = await instance.client.post(
            CHECKINS, json=body(client_id=client_id, companions=companions), headers=person
        )

        assert (lost.status_code, retried.status_code) == (503, 201)
        receipt = retried.json()
        events = await published.created(4)
        first, again = events[:2], events[2:]
        assert [event.id for event in first] == [uuid.UUID(receipt["id"]), uuid.UUID(receipt["companions"][0]["id"])]
        assert [(event.id, event.client_key, event.checked_at) for event in again] == [
            (event.id, event.client_key, event.checked_at) for event in first
        ]
        assert first[0].checked_at == datetime.fromisoformat(receipt["checked_at"])

    async def test_an_instance_that_died_once_the_broker_had_the_events_is_taken_over_as_the_same_record(
        self, instance: Instance, published: Published, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Killed between the broker's confirm and the receipt in Redis, the instance never gave its claim back: once
        the claim's `CLAIM_SECONDS` are over, the retry takes it over and publishes the same record again."""
        checkins = instance.app.state.checkins
        publish = checkins._publisher.publish

        async def taken_then_killed(messages: object) -> None:
            await publish(messages)
            raise asyncio.CancelledError()

        async def nothing_given_back(*_: object, **__: object) -> None:
            return None

        client_id, person = uuid.uuid4(), resident()
        monkeypatch.setattr(checkins._publisher, "publish", taken_then_killed)
        monkeypatch.setattr(checkins._repository, "release", nothing_given_back)
        with pytest.raises(asyncio.CancelledError):
            await instance.client.post(CHECKINS, json=body(client_id=client_id), headers=person)
        monkeypatch.undo()
        now_ns = time.time_ns
        monkeypatch.setattr(time, "time_ns", lambda: now_ns() + (CLAIM_SECONDS + 1) * 1_000_000_000)
        retried = await instance.client.post(CHECKINS, json=body(client_id=client_id), headers=person)

        assert retried.status_code == 201
        first, again = await published.created(2)
        assert first.id == again.id == uuid.UUID(retried.json()["id"])

    async def test_a_broker_lost_while_running_answers_503(self, instance: Instance, published: Published) -> None:
        await instance.app.state.checkins._publisher._broker.close()

        response = await instance.client.post(CHECKINS, json=body(), headers=resident())

        assert response.status_code == 503
        assert "retry-after" in response.headers
        await published.nothing()


class TestRedisDown:
    @pytest.fixture
    def no_redis(self, broker_url: str) -> CheckinSettings:
        return checkin_settings("redis://127.0.0.1:1/0", broker_url, redis_timeout_seconds=0.2)

    async def test_a_check_in_waits_for_redis_rather_than_answer_what_it_cannot_know(
        self, no_redis: CheckinSettings, start: Serve, registry: FakeRegistry, published: Published
    ) -> None:
        registry.add(GATE)
        async with start(no_redis) as running:
            measured = await running.client.post(CHECKINS, json=body(), headers=resident())
            unmeasured = await running.client.post(CHECKINS, json=body(temperature=None), headers=resident())

        # Without Redis there is no telling whether the client id was answered before: a new receipt for it could
        # name a record the store never keeps.
        for response in (measured, unmeasured):
            assert (response.status_code, response.json()["code"]) == (503, "redis_unavailable")
            assert response.headers["retry-after"] == "5"
        await published.nothing()

    async def test_own_history_is_unavailable_and_says_so(
        self, no_redis: CheckinSettings, start: Serve, registry: FakeRegistry
    ) -> None:
        async with start(no_redis) as running:
            response = await running.client.get("/api/checkin/me/checkins", headers=resident())

        assert (response.status_code, response.json()["code"]) == (503, "redis_unavailable")
        assert response.headers["retry-after"] == "5"


async def test_the_openapi_document_describes_the_check_in_body(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/checkin/openapi.json")).json()

    operation = document["paths"]["/api/checkin/checkins"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CheckinCreate"
    }
    schemas = document["components"]["schemas"]
    assert {"checkpoint_code", "client_id", "answers", "temperature", "direction", "companions"} <= set(
        schemas["CheckinCreate"]["properties"]
    )
    assert "CompanionCreate" in schemas
    assert operation["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CheckinReceipt"
    }
