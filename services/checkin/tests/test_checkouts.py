"""离开 on a rescan (issue 17): a resident who checked in at a checkpoint within its kind's assumed stay is offered to
check out, and their check-out records everyone of the stay leaving, as contact screening pairs them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.checkin.keys import stay_key

from .conftest import Serve, checkin_settings
from .support import (
    CHECKINS,
    GATE,
    HOSPITAL_GATE,
    Json,
    Published,
    admin,
    field_errors,
    gate_answers,
    hospital_answers,
    id_card,
    resident,
    seed,
    staff,
)

pytestmark = pytest.mark.usefixtures("backend")

CHECKOUTS = "/api/checkin/checkouts"
CHILD_ID = id_card("13010220150101002")


def page_of(code: str) -> str:
    return f"/api/checkin/checkpoints/{code}"


async def check_in(client: httpx.AsyncClient, headers: dict[str, str], code: str = GATE.code, **more: object) -> Json:
    answers = hospital_answers() if code == HOSPITAL_GATE.code else gate_answers()
    values = {"checkpoint_code": code, "client_id": str(uuid.uuid4()), "answers": answers, "temperature": 36.6}
    response = await client.post(CHECKINS, json=values | more, headers=headers)
    assert response.status_code == 201, response.text
    receipt: Json = response.json()
    return receipt


async def stay_of(client: httpx.AsyncClient, headers: dict[str, str] | None, code: str = GATE.code) -> Json | None:
    response = await client.get(page_of(code), headers=headers)
    assert response.status_code == 200, response.text
    stay: Json | None = response.json()["stay"]
    return stay


def checkout(code: str = GATE.code, client_id: uuid.UUID | None = None) -> Json:
    return {"checkpoint_code": code, "client_id": str(client_id or uuid.uuid4())}


class TestTheOffer:
    async def test_a_rescan_within_the_kinds_assumed_stay_offers_to_leave(self, client: httpx.AsyncClient) -> None:
        person = resident()
        companions = [{"answers": gate_answers("李小明"), "temperature": 36.7}]
        receipt = await check_in(client, person, companions=companions)

        stay = await stay_of(client, person)

        checked_at = datetime.fromisoformat(receipt["checked_at"])
        assert stay is not None
        assert (stay["entry_id"], stay["names_masked"]) == (receipt["id"], ["张*", "李**"])
        # A community gate's assumed stay: 10 minutes, in Beijing time.
        assert datetime.fromisoformat(stay["checked_at"]) == checked_at
        assert datetime.fromisoformat(stay["until"]) == checked_at + timedelta(minutes=10)
        assert stay["until"].endswith("+08:00")

    async def test_nobody_else_is_offered_it(self, client: httpx.AsyncClient) -> None:
        await check_in(client, resident())

        assert await stay_of(client, resident()) is None
        assert await stay_of(client, None) is None
        assert await stay_of(client, staff(GATE.id)) is None

    async def test_the_offer_lasts_the_kinds_assumed_stay(self, client: httpx.AsyncClient, cache: Redis) -> None:
        person_id = uuid.uuid4()
        await check_in(client, resident(person_id), code=HOSPITAL_GATE.code)

        # (The page reads Redis after the check-in's writes, which the receipt does not wait for.)
        assert await stay_of(client, resident(person_id), HOSPITAL_GATE.code) is not None
        # A hospital visit is assumed to last two hours; Redis forgets the stay then.
        assert 7190 <= await cache.ttl(stay_key(person_id, HOSPITAL_GATE.id)) <= 7200
        assert await stay_of(client, resident(person_id)) is None  # another checkpoint: nothing to leave

    async def test_the_stay_follows_lianfang_stay_minutes(
        self, start: Serve, redis_url: str, broker_url: str, cache: Redis, seeded: None
    ) -> None:
        settings = checkin_settings(redis_url, broker_url, stay_minutes={"community": 45})
        async with start(settings) as instance:
            person_id = uuid.uuid4()
            await check_in(instance.client, resident(person_id))

            assert await stay_of(instance.client, resident(person_id)) is not None
            assert 2690 <= await cache.ttl(stay_key(person_id, GATE.id)) <= 2700

    def test_an_unknown_kind_in_lianfang_stay_minutes_is_refused(self, redis_url: str, broker_url: str) -> None:
        with pytest.raises(ValueError, match="unknown checkpoint kinds"):
            checkin_settings(redis_url, broker_url, stay_minutes={"mall": 45})

    async def test_staffs_hand_entries_open_no_stay(self, client: httpx.AsyncClient, cache: Redis) -> None:
        guard = uuid.uuid4()
        entry = {"client_id": str(uuid.uuid4()), "name": "王五", "phone": "13700000000", "temperature": 36.5}
        response = await client.post(
            f"/api/checkin/staff/checkpoints/{GATE.id}/checkins", json=entry, headers=staff(GATE.id, staff_id=guard)
        )

        assert response.status_code == 201, response.text
        await stay_of(client, resident())
        assert await cache.keys("lianfang:checkin:stay:*") == []


class TestCheckOut:
    async def test_everyone_of_the_stay_leaves_as_their_check_in_recorded_them(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person_id = uuid.uuid4()
        person = resident(person_id)
        child = {"answers": hospital_answers("李小明", number=CHILD_ID), "temperature": 36.7}
        entry = await check_in(client, person, code=HOSPITAL_GATE.code, companions=[child])
        client_id = uuid.uuid4()

        response = await client.post(CHECKOUTS, json=checkout(HOSPITAL_GATE.code, client_id), headers=person)

        assert response.status_code == 201, response.text
        receipt = response.json()
        entered = await published.created(2)
        left = await published.created(2)
        main, companion = left
        assert receipt == {
            "id": str(main.id),
            "status": "passed",
            "status_label": "准许通行",
            "temperature": {"value": 36.6, "source": "reused", "measured_at": entry["checked_at"]},
            "checked_at": receipt["checked_at"],
            "direction": "out",
            "checkpoint": {"code": "HSPT2345", "name": "唐山市人民医院门诊", "kind_label": "医院"},
            "name_masked": "张*",
            "companions": [
                {
                    "id": str(companion.id),
                    "status": "passed",
                    "status_label": "准许通行",
                    "temperature": {"value": 36.7, "source": "reused", "measured_at": entry["checked_at"]},
                    "name_masked": "李**",
                }
            ],
        }
        # Nothing to audit on the way out, even at an audited checkpoint.
        assert entry["status"] == "pending"
        # The same people: contact screening pairs each check-out with its check-in by these.
        assert [event.person for event in left] == [event.person for event in entered]
        assert [event.answers_encrypted for event in left] == [event.answers_encrypted for event in entered]
        assert [(event.direction, event.status, event.temperature_source) for event in left] == [
            ("out", "passed", "reused"),
            ("out", "passed", "reused"),
        ]
        assert [(event.resident_id, event.companion_of, event.entered_by) for event in left] == [
            (person_id, None, None),
            (person_id, main.id, None),
        ]
        assert [event.client_key for event in left] == [client_id, uuid.uuid5(client_id, "0")]

    async def test_after_leaving_the_page_offers_a_new_check_in_and_the_history_shows_it(
        self, client: httpx.AsyncClient
    ) -> None:
        person = resident()
        entry = await check_in(client, person)

        left = (await client.post(CHECKOUTS, json=checkout(), headers=person)).json()

        assert await stay_of(client, person) is None
        history = (await client.get("/api/checkin/me/checkins", headers=person)).json()["items"]
        assert [(item["id"], item["direction"]) for item in history] == [(left["id"], "out"), (entry["id"], "in")]

    async def test_the_same_client_id_answers_with_the_first_receipt(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = resident()
        await check_in(client, person)
        client_id = uuid.uuid4()

        first = await client.post(CHECKOUTS, json=checkout(client_id=client_id), headers=person)
        again = await client.post(CHECKOUTS, json=checkout(client_id=client_id), headers=person)

        assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
        assert again.content == first.content
        await published.created(2)
        await published.nothing()

    async def test_leaving_through_the_forms_direction_closes_the_stay_too(self, client: httpx.AsyncClient) -> None:
        person = resident()
        await check_in(client, person)

        await check_in(client, person, direction="out")

        assert await stay_of(client, person) is None


class TestRefused:
    async def test_without_a_check_in_there_409_not_checked_in(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        somebody = resident()
        await check_in(client, somebody)

        for person in (resident(), somebody):
            response = await client.post(CHECKOUTS, json=checkout(HOSPITAL_GATE.code), headers=person)
            assert response.status_code == 409
            assert response.json()["code"] == "not_checked_in"
            assert response.json()["title"] == "您未在此卡口登记进入，或已超过停留时间，无需登记离开"
        await published.created(1)
        await published.nothing()

    async def test_leaving_twice_with_a_new_client_id_409(self, client: httpx.AsyncClient) -> None:
        person = resident()
        await check_in(client, person)
        await client.post(CHECKOUTS, json=checkout(), headers=person)

        response = await client.post(CHECKOUTS, json=checkout(), headers=person)

        assert (response.status_code, response.json()["code"]) == (409, "not_checked_in")

    async def test_another_residents_client_id_409_client_id_taken(self, client: httpx.AsyncClient) -> None:
        first, second = resident(), resident()
        await check_in(client, first)
        await check_in(client, second)
        client_id = uuid.uuid4()
        await client.post(CHECKOUTS, json=checkout(client_id=client_id), headers=first)

        response = await client.post(CHECKOUTS, json=checkout(client_id=client_id), headers=second)

        assert (response.status_code, response.json()["code"]) == (409, "client_id_taken")

    async def test_without_a_token_401_and_staff_403(self, client: httpx.AsyncClient) -> None:
        anonymous = await client.post(CHECKOUTS, json=checkout())
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthorized")
        for headers in (staff(GATE.id), admin()):
            assert (await client.post(CHECKOUTS, json=checkout(), headers=headers)).status_code == 403

    async def test_an_unknown_checkpoint_404(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CHECKOUTS, json=checkout("NOPE2345"), headers=resident())

        assert (response.status_code, response.json()["code"]) == (404, "checkpoint_not_found")

    async def test_a_client_id_that_is_no_uuid_422_names_it(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            CHECKOUTS, json={"checkpoint_code": GATE.code, "client_id": "abc"}, headers=resident()
        )

        assert response.status_code == 422
        assert [error["field"] for error in field_errors(response)] == ["client_id"]

    async def test_a_closed_checkpoint_can_still_be_left(self, client: httpx.AsyncClient, cache: Redis) -> None:
        person = resident()
        await check_in(client, person)
        await seed(cache, GATE.model_copy(update={"active": False}))

        response = await client.post(CHECKOUTS, json=checkout(), headers=person)

        assert (response.status_code, response.json()["direction"]) == (201, "out")
