from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.checkin.keys import checkpoint_code_key, live_channel
from lianfang.checkin.settings import CheckinSettings

from .conftest import FakeRegistry, FakeTrace, Instance, Serve, checkin_settings
from .support import (
    CHECKINS,
    GATE,
    HOSPITAL_GATE,
    PII,
    EventStream,
    Json,
    Published,
    admin,
    checkpoint_config,
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

# A residential gate whose arrivals wait for the gate keeper.
AUDITED = checkpoint_config(id=505, code="AUDT2345", name="育才小区西门", requires_audit=True)
# A gate that counts a fever only from 37.5 ℃ on.
LENIENT = checkpoint_config(id=607, code="LNNT2345", name="育才小区北门", fever_threshold=37.5)
STAFF = "/api/checkin/staff"


def pending_of(checkpoint_id: int) -> str:
    return f"{STAFF}/checkpoints/{checkpoint_id}/pending"


def arrivals_of(checkpoint_id: int) -> str:
    return f"{STAFF}/checkpoints/{checkpoint_id}/arrivals"


def decision_on(record_id: str) -> str:
    return f"{STAFF}/checkins/{record_id}/decision"


def by_hand(checkpoint_id: int) -> str:
    return f"{STAFF}/checkpoints/{checkpoint_id}/checkins"


def events_of(checkpoint_id: int) -> str:
    return f"{STAFF}/checkpoints/{checkpoint_id}/events"


@pytest.fixture(autouse=True)
async def audited(cache: Redis, registry: FakeRegistry) -> None:
    registry.add(AUDITED, LENIENT)
    await seed(cache, AUDITED, LENIENT)


async def arrive(
    client: httpx.AsyncClient,
    headers: dict[str, str] | None = None,
    code: str = AUDITED.code,
    temperature: float | None = 36.6,
    **more: object,
) -> Json:
    answers = hospital_answers() if code == HOSPITAL_GATE.code else gate_answers()
    values: Json = {"checkpoint_code": code, "client_id": str(uuid.uuid4()), "answers": answers} | more
    if temperature is not None:
        values["temperature"] = temperature
    response = await client.post(CHECKINS, json=values, headers=headers or resident())
    assert response.status_code == 201, response.text
    receipt: Json = response.json()
    return receipt


async def pending(client: httpx.AsyncClient, checkpoint_id: int = AUDITED.id) -> list[Json]:
    response = await client.get(pending_of(checkpoint_id), headers=staff(checkpoint_id))
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


def visitor(**more: object) -> Json:
    return {"client_id": str(uuid.uuid4()), "name": "赵大爷", "phone": "13700000007", "temperature": 36.4} | more


class TestTodaysArrivals:
    """What the board shows again after a reload: everyone checked in today, not only those still waiting."""

    async def test_everyone_checked_in_today_with_their_status_now(self, client: httpx.AsyncClient) -> None:
        approved = await arrive(client)
        waiting = await arrive(client, answers=gate_answers("李四", phone="13900000009"))
        feverish = await arrive(client, answers=gate_answers("王五", phone="13700000005"), temperature=38.2)
        elsewhere = await arrive(client, code=LENIENT.code)
        await client.post(decision_on(approved["id"]), json={"decision": "approve"}, headers=staff(AUDITED.id))

        response = await client.get(arrivals_of(AUDITED.id), headers=staff(AUDITED.id))

        assert response.status_code == 200
        items = response.json()["items"]
        assert [(item["id"], item["status"]) for item in items] == [
            (approved["id"], "passed"),
            (waiting["id"], "pending"),
            (feverish["id"], "abnormal"),
        ]
        assert items[2]["temperature"]["value"] == 38.2
        assert elsewhere["id"] not in {item["id"] for item in items}

    async def test_a_fever_sent_to_the_alerts_says_so_after_a_reload(
        self, client: httpx.AsyncClient, trace: FakeTrace
    ) -> None:
        reported = await arrive(client, answers=gate_answers("王五", phone="13700000005"), temperature=38.2)
        not_yet = await arrive(client, answers=gate_answers("李四", phone="13900000009"), temperature=38.0)
        waiting = await arrive(client)
        mark = trace.report(reported["id"])
        keeper = staff(AUDITED.id)

        items = (await client.get(arrivals_of(AUDITED.id), headers=keeper)).json()["items"]

        assert [(item["id"], item["gate_report"]) for item in items] == [
            (reported["id"], mark),
            (not_yet["id"], None),
            (waiting["id"], None),
        ]
        # Trace is asked about the fevers only, with the gate keeper's own token: it answers for their checkpoints.
        assert trace.asked == [([reported["id"], not_yet["id"]], keeper["Authorization"])]

    async def test_without_trace_the_arrivals_come_without_their_marks(
        self, client: httpx.AsyncClient, trace: FakeTrace
    ) -> None:
        fever = await arrive(client, temperature=38.2)
        trace.report(fever["id"])
        trace.down = True

        response = await client.get(arrivals_of(AUDITED.id), headers=staff(AUDITED.id))

        assert response.status_code == 200
        assert [(item["id"], item["status"], item["gate_report"]) for item in response.json()["items"]] == [
            (fever["id"], "abnormal", None)
        ]

    async def test_only_staff_on_duty_there_see_them(self, client: httpx.AsyncClient) -> None:
        await arrive(client)

        other_gate = await client.get(arrivals_of(AUDITED.id), headers=staff(LENIENT.id))
        a_resident = await client.get(arrivals_of(AUDITED.id), headers=resident())

        assert (other_gate.status_code, other_gate.json()["code"]) == (403, "not_on_duty")
        assert a_resident.status_code == 403


class TestPending:
    async def test_arrivals_wait_oldest_first_with_what_staff_need_to_see(self, client: httpx.AsyncClient) -> None:
        first = await arrive(client)
        second = await arrive(client, answers=gate_answers("李四", phone="13900000009"))

        items = await pending(client)

        assert [item["id"] for item in items] == [first["id"], second["id"]]
        assert items[1] | {"id": "", "checked_at": ""} == {
            "id": "",
            "checked_at": "",
            "checkpoint_id": 505,
            "checkpoint_code": "AUDT2345",
            "checkpoint_name": "育才小区西门",
            "checkpoint_kind_label": "小区/社区",
            "city_code": "1301",
            "status": "pending",
            "status_label": "待审核",
            "temperature": second["temperature"],
            "direction": "in",
            "resident_id": items[1]["resident_id"],
            "companion_of": None,
            "entered_by": None,
            "name_masked": "李*",
            "phone_masked": "139****0009",
            "id_card_masked": None,
            "warnings": [],
            "decided_by": None,
            "decided_at": None,
            "reason": None,
            "distance_m": None,
            "outside_radius": None,
            "remote_scan": False,
            "remeasure": None,
        }

    async def test_passed_arrivals_do_not_wait(self, client: httpx.AsyncClient) -> None:
        await arrive(client, code=GATE.code)

        assert await pending(client, GATE.id) == []

    async def test_a_recent_fever_elsewhere_is_a_warning(self, client: httpx.AsyncClient) -> None:
        person = resident()
        await arrive(client, person, HOSPITAL_GATE.code, temperature=38.4)

        await arrive(client, person)

        (item,) = await pending(client)
        (warning,) = item["warnings"]
        assert warning["code"] == "recent_fever"
        assert warning["message"].startswith("14 天内有体温异常记录：")
        assert warning["message"].endswith("在唐山市人民医院门诊 38.4 ℃")

    async def test_only_staff_of_the_checkpoint(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(pending_of(AUDITED.id))).status_code == 401
        for headers in (staff(GATE.id), admin(), resident()):
            response = await client.get(pending_of(AUDITED.id), headers=headers)
            assert response.status_code == 403
        refused = await client.get(pending_of(AUDITED.id), headers=staff(GATE.id))
        assert refused.json()["code"] == "not_on_duty"


def answers_of(record_id: str) -> str:
    return f"{STAFF}/checkins/{record_id}/answers"


class TestAnswers:
    async def test_the_approval_card_shows_every_answer_under_its_label_personal_ones_masked(
        self, client: httpx.AsyncClient
    ) -> None:
        receipt = await arrive(client, answers=gate_answers("李四", phone="13900000009"))

        response = await client.get(answers_of(receipt["id"]), headers=staff(AUDITED.id))

        assert response.status_code == 200, response.text
        assert response.json() == {
            "record_id": receipt["id"],
            "template_id": 1,
            "template_version": 1,
            "answers": [
                {"key": "name", "label": "姓名", "type": "name", "value": "李*", "masked": True},
                {"key": "phone", "label": "手机号", "type": "phone", "value": "139****0009", "masked": True},
                {
                    "key": "address",
                    "label": "住址/楼号",
                    "type": "address",
                    "value": "3 号楼 2 单元 501",
                    "masked": False,
                },
                {"key": "is_resident", "label": "是否本小区居民", "type": "bool", "value": "是", "masked": False},
            ],
        }

    async def test_a_companion_has_answers_of_their_own(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client, companions=[{"answers": gate_answers("李小明"), "temperature": 36.5}])
        (companion,) = receipt["companions"]

        response = await client.get(answers_of(companion["id"]), headers=staff(AUDITED.id))

        assert [answer["value"] for answer in response.json()["answers"]][:1] == ["李**"]

    async def test_once_decided_the_answers_are_gone(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client)
        decided = await client.post(decision_on(receipt["id"]), json={"decision": "approve"}, headers=staff(AUDITED.id))
        assert decided.status_code == 200

        response = await client.get(answers_of(receipt["id"]), headers=staff(AUDITED.id))

        assert (response.status_code, response.json()["code"]) == (404, "record_not_found")

    async def test_arrivals_that_need_no_decision_keep_no_answers(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client, code=GATE.code)

        response = await client.get(answers_of(receipt["id"]), headers=staff(GATE.id))

        assert (response.status_code, response.json()["code"]) == (404, "record_not_found")

    async def test_only_staff_of_the_checkpoint_read_them(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client)

        other = await client.get(answers_of(receipt["id"]), headers=staff(GATE.id))
        someone = await client.get(answers_of(receipt["id"]), headers=resident())
        unknown = await client.get(answers_of(str(uuid.uuid4())), headers=staff(AUDITED.id))

        assert (other.status_code, other.json()["code"]) == (403, "not_on_duty")
        assert someone.status_code == 403
        assert unknown.status_code == 404


class TestFeverMarks:
    async def test_a_reused_temperature_that_is_a_fever_here_marks_the_person_like_a_measured_one(
        self, client: httpx.AsyncClient
    ) -> None:
        person = resident()
        lenient = await arrive(client, person, LENIENT.code, temperature=37.4)
        strict = await arrive(client, person, GATE.code, temperature=None)

        await arrive(client, person, temperature=36.5)

        assert (lenient["status"], strict["status"], strict["temperature"]["source"]) == (
            "passed",
            "abnormal",
            "reused",
        )
        (item,) = await pending(client)
        assert [warning["code"] for warning in item["warnings"]] == ["recent_fever"]
        assert item["warnings"][0]["message"].endswith("在育才小区东门 37.4 ℃")

    async def test_typing_someone_elses_phone_and_id_number_for_a_companion_warns_nobody_about_them(
        self, client: httpx.AsyncClient
    ) -> None:
        victim = hospital_answers("王五", phone="13900000005", number=id_card("13010219900101002"))
        companion = {"answers": victim, "temperature": 39.0}
        await arrive(client, resident(), HOSPITAL_GATE.code, companions=[companion])

        own = await arrive(client, resident(), answers=gate_answers("王五", phone="13900000005"))
        by_hand_entry = await client.post(
            by_hand(AUDITED.id),
            json=visitor(name="王五", phone="13900000005", temperature=36.5),
            headers=staff(AUDITED.id),
        )

        assert by_hand_entry.status_code == 201
        warnings = {item["id"]: item["warnings"] for item in await pending(client)}
        assert warnings == {own["id"]: []}

    async def test_a_companions_fever_warns_at_their_next_arrival_as_declared_by_the_resident(
        self, client: httpx.AsyncClient
    ) -> None:
        parent = resident()
        child = gate_answers("李小明", phone="13812345678")
        await arrive(client, parent, GATE.code, companions=[{"answers": child, "temperature": 38.2}])

        later = await arrive(client, resident(), companions=[{"answers": child, "temperature": 36.5}])

        (main, companion) = sorted(await pending(client), key=lambda item: item["id"])
        assert (main["id"], main["warnings"]) == (later["id"], [])
        (warning,) = companion["warnings"]
        assert warning["code"] == "recent_fever"
        assert warning["message"].endswith("在育才小区东门 38.2 ℃（由张* 138****5678作为同行人员申报）")

    async def test_children_sharing_a_parents_phone_carry_their_own_marks(self, client: httpx.AsyncClient) -> None:
        parent = resident()
        feverish, well = gate_answers("李小明"), gate_answers("李小红")
        await arrive(client, parent, GATE.code, companions=[{"answers": feverish, "temperature": 38.2}])

        await arrive(client, parent, companions=[{"answers": well, "temperature": 36.5}])

        assert [item["warnings"] for item in await pending(client)] == [[], []]


class TestDecisions:
    async def test_approving_publishes_the_decision_and_updates_every_view(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = resident()
        receipt = await arrive(client, person)
        await published.created()
        keeper = uuid.uuid4()

        response = await client.post(
            decision_on(receipt["id"]), json={"decision": "approve"}, headers=staff(AUDITED.id, staff_id=keeper)
        )

        assert response.status_code == 200, response.text
        decided = response.json()
        assert decided | {"decided_at": ""} == {
            "id": receipt["id"],
            "checkpoint_id": AUDITED.id,
            "status": "passed",
            "status_label": "准许通行",
            "decided_by": str(keeper),
            "decided_at": "",
            "reason": None,
        }
        event = await published.decided()
        assert (event.record_id, event.city_code, event.status, event.decided_by) == (
            uuid.UUID(receipt["id"]),
            "1301",
            "passed",
            keeper,
        )
        assert event.checked_at == datetime.fromisoformat(receipt["checked_at"])
        assert event.decided_at == datetime.fromisoformat(decided["decided_at"])
        assert await pending(client) == []
        (mine,) = (await client.get("/api/checkin/me/checkins", headers=person)).json()["items"]
        assert (mine["status"], mine["status_label"], mine["decided_at"]) == (
            "passed",
            "准许通行",
            decided["decided_at"],
        )

    async def test_rejecting_with_a_reason(self, client: httpx.AsyncClient, published: Published) -> None:
        person = resident()
        receipt = await arrive(client, person)

        response = await client.post(
            decision_on(receipt["id"]), json={"decision": "reject", "reason": "非本小区人员"}, headers=staff(AUDITED.id)
        )

        assert (response.json()["status"], response.json()["status_label"]) == ("rejected", "未通过")
        await published.created()
        assert (
            (await published.decided()).status,
            (await client.get("/api/checkin/me/checkins", headers=person)).json()["items"][0]["reason"],
        ) == ("rejected", "非本小区人员")

    async def test_deciding_twice_is_a_conflict(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client)
        await client.post(decision_on(receipt["id"]), json={"decision": "approve"}, headers=staff(AUDITED.id))

        again = await client.post(decision_on(receipt["id"]), json={"decision": "reject"}, headers=staff(AUDITED.id))

        assert again.status_code == 409
        assert (again.json()["code"], again.json()["detail"]) == ("already_decided", "该登记已是“准许通行”")

    async def test_two_gate_keepers_at_once_decide_once(self, client: httpx.AsyncClient, published: Published) -> None:
        receipt = await arrive(client)
        await published.created()

        responses = await asyncio.gather(
            *(
                client.post(decision_on(receipt["id"]), json={"decision": decision}, headers=staff(AUDITED.id))
                for decision in ("approve", "reject", "approve")
            )
        )

        assert sorted(response.status_code for response in responses) == [200, 409, 409]
        await published.decided()
        await published.nothing()

    async def test_records_that_are_not_pending_cannot_be_decided(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client, code=GATE.code)

        response = await client.post(decision_on(receipt["id"]), json={"decision": "reject"}, headers=staff(GATE.id))

        assert response.status_code == 409

    async def test_an_unknown_record_is_a_404(self, client: httpx.AsyncClient) -> None:
        response = await client.post(decision_on(str(uuid.uuid4())), json={"decision": "approve"}, headers=staff(1))

        assert (response.status_code, response.json()["code"]) == (404, "record_not_found")

    async def test_another_checkpoints_record_is_a_403(self, client: httpx.AsyncClient, published: Published) -> None:
        receipt = await arrive(client)

        response = await client.post(decision_on(receipt["id"]), json={"decision": "approve"}, headers=staff(GATE.id))

        assert response.status_code == 403
        assert [item["id"] for item in await pending(client)] == [receipt["id"]]
        await published.created()
        await published.nothing()

    async def test_a_bad_decision_is_a_422(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client)

        response = await client.post(decision_on(receipt["id"]), json={"decision": "maybe"}, headers=staff(AUDITED.id))

        assert [error["field"] for error in field_errors(response)] == ["decision"]

    async def test_with_the_broker_down_the_arrival_stays_pending(
        self, settings: CheckinSettings, start: Serve, client: httpx.AsyncClient
    ) -> None:
        receipt = await arrive(client)
        down = settings.model_copy(update={"broker_url": "amqp://guest:guest@127.0.0.1:1/"})
        async with start(down) as unreachable:
            refused = await unreachable.client.post(
                decision_on(receipt["id"]), json={"decision": "approve"}, headers=staff(AUDITED.id)
            )

        retried = await client.post(decision_on(receipt["id"]), json={"decision": "approve"}, headers=staff(AUDITED.id))

        assert (refused.status_code, refused.headers["retry-after"]) == (503, "5")
        assert retried.status_code == 200


class TestHandEntry:
    async def test_a_visitor_without_a_smartphone(self, client: httpx.AsyncClient, published: Published) -> None:
        keeper = uuid.uuid4()

        response = await client.post(by_hand(AUDITED.id), json=visitor(), headers=staff(AUDITED.id, staff_id=keeper))

        assert response.status_code == 201, response.text
        receipt = response.json()
        # The gate keeper vouches for the visitor: no approval to wait for.
        assert (receipt["status"], receipt["name_masked"], receipt["temperature"]["source"]) == (
            "passed",
            "赵**",
            "measured",
        )
        (event,) = await published.created()
        assert (event.id, event.resident_id, event.entered_by) == (uuid.UUID(receipt["id"]), None, keeper)
        assert (decrypted(event.person.name_encrypted), event.person.phone_hash) == (
            "赵大爷",
            PII.search_hash("13700000007"),
        )
        assert (event.checkpoint_id, event.city_code) == (AUDITED.id, "1301")

    async def test_an_id_number_is_enough(self, client: httpx.AsyncClient, published: Published) -> None:
        number = id_card("13010219450101001")

        response = await client.post(
            by_hand(AUDITED.id), json=visitor(phone=None, id_card=number.lower()), headers=staff(AUDITED.id)
        )

        assert response.status_code == 201, response.text
        (event,) = await published.created()
        assert event.person.id_card_hash == PII.search_hash(number)

    async def test_a_phone_or_an_id_number_is_required(self, client: httpx.AsyncClient) -> None:
        response = await client.post(by_hand(AUDITED.id), json=visitor(phone=None), headers=staff(AUDITED.id))

        assert field_errors(response) == [
            {"field": "phone", "message": "请填写手机号或身份证号（至少一项）", "code": "missing"}
        ]

    async def test_each_bad_field_is_named(self, client: httpx.AsyncClient, published: Published) -> None:
        response = await client.post(
            by_hand(AUDITED.id),
            json=visitor(name="", phone="123", id_card="130102194501010011"),
            headers=staff(AUDITED.id),
        )

        assert [(error["field"], error["code"]) for error in field_errors(response)] == [
            ("name", "missing"),
            ("phone", "invalid"),
            ("id_card", "checksum"),
        ]
        await published.nothing()

    async def test_the_temperature_is_measured_at_the_gate(self, client: httpx.AsyncClient) -> None:
        response = await client.post(by_hand(AUDITED.id), json=visitor(temperature=None), headers=staff(AUDITED.id))

        assert [error["field"] for error in field_errors(response)] == ["temperature"]

    async def test_a_fever_staff_measured_warns_wherever_the_person_shows_up_next(
        self, client: httpx.AsyncClient
    ) -> None:
        entered = await client.post(by_hand(AUDITED.id), json=visitor(temperature=38.0), headers=staff(AUDITED.id))

        himself = await arrive(client, answers=gate_answers("赵大爷", phone="13700000007"))
        grandson = await arrive(client, answers=gate_answers("赵小", phone="13700000007"))

        assert entered.json()["status"] == "abnormal"
        warnings = {item["id"]: [warning["code"] for warning in item["warnings"]] for item in await pending(client)}
        # One person is their phone and name together: the grandson who shares the phone is someone else.
        assert warnings == {himself["id"]: ["recent_fever"], grandson["id"]: []}

    async def test_a_retry_gets_the_first_receipt(self, client: httpx.AsyncClient, published: Published) -> None:
        same = visitor()
        keeper = staff(AUDITED.id, staff_id=uuid.uuid4())

        first = await client.post(by_hand(AUDITED.id), json=same, headers=keeper)
        again = await client.post(by_hand(AUDITED.id), json=same | {"name": "钱"}, headers=keeper)
        colleague = await client.post(by_hand(AUDITED.id), json=same, headers=staff(AUDITED.id))

        assert again.content == first.content
        assert (colleague.status_code, colleague.json()["code"]) == (409, "client_id_taken")
        await published.created(1)
        await published.nothing()

    async def test_only_at_the_callers_checkpoints(self, client: httpx.AsyncClient) -> None:
        response = await client.post(by_hand(AUDITED.id), json=visitor(), headers=staff(GATE.id))

        assert response.status_code == 403

    async def test_a_checkpoint_nobody_scanned_yet_comes_from_the_registry_by_id(
        self, client: httpx.AsyncClient, registry: FakeRegistry, cache: Redis
    ) -> None:
        unseen = checkpoint_config(id=606, code="UNSN2345", name="新卡口")
        registry.add(unseen)

        response = await client.post(by_hand(606), json=visitor(), headers=staff(606))
        again = await client.post(by_hand(606), json=visitor(), headers=staff(606))

        assert (response.status_code, again.status_code) == (201, 201)
        assert registry.asked.count("/api/registry/internal/checkpoints/by-id/606/config") == 1
        assert await cache.get(checkpoint_code_key(606)) == b"UNSN2345"

    async def test_an_unknown_checkpoint_is_a_404(self, client: httpx.AsyncClient) -> None:
        response = await client.post(by_hand(999), json=visitor(), headers=staff(999))

        assert (response.status_code, response.json()["code"]) == (404, "checkpoint_not_found")


class TestTheirCheckpoints:
    async def test_staff_see_the_checkpoints_they_guard(self, client: httpx.AsyncClient) -> None:
        await arrive(client, code=GATE.code)

        response = await client.get(f"{STAFF}/checkpoints", headers=staff(GATE.id, AUDITED.id, 999))

        assert [(item["id"], item["name"]) for item in response.json()["items"]] == [
            (GATE.id, "育才小区东门"),
            (AUDITED.id, "育才小区西门"),
        ]


class TestLiveEvents:
    async def test_arrivals_at_another_instance_reach_the_stream(
        self, instance: Instance, settings: CheckinSettings, start: Serve
    ) -> None:
        person = resident()
        async with start(settings) as other:
            await arrive(other.client, person, HOSPITAL_GATE.code, temperature=38.0)
            async with EventStream(instance.app, events_of(AUDITED.id), staff(AUDITED.id)) as stream:
                receipt = await arrive(other.client, person)
                arrival = await stream.next_about(receipt["id"])

        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert (arrival.event, arrival.data["id"], arrival.data["status"]) == ("arrival", receipt["id"], "pending")
        assert [warning["code"] for warning in arrival.data["warnings"]] == ["recent_fever"]

    async def test_decisions_follow_and_heartbeats_keep_the_stream_open(self, instance: Instance) -> None:
        client = instance.client
        async with EventStream(instance.app, events_of(AUDITED.id), staff(AUDITED.id)) as stream:
            receipt = await arrive(client)
            await stream.next_about(receipt["id"])
            await asyncio.sleep(0.5)
            await client.post(decision_on(receipt["id"]), json={"decision": "approve"}, headers=staff(AUDITED.id))
            decision = await stream.next_about(receipt["id"])

        assert (decision.event, decision.data["id"], decision.data["status"]) == ("decision", receipt["id"], "passed")
        assert "ping" in stream.comments

    async def test_a_deployment_in_another_database_of_the_same_redis_is_not_heard(
        self, instance: Instance, redis_url: str, cache: Redis
    ) -> None:
        # A Redis server's channels are shared by all its databases: another deployment's gate of the same id, in the
        # next database, publishes an arrival as check-in does.
        database = int(urlsplit(redis_url).path.strip("/") or 0)
        foreign = {"id": str(uuid.uuid4()), "status": "pending"}
        async with EventStream(instance.app, events_of(AUDITED.id), staff(AUDITED.id)) as stream:
            await cache.publish(
                live_channel(database + 1, AUDITED.id),
                f"id: 1-0\nevent: arrival\ndata: {json.dumps(foreign)}\n\n".encode(),
            )
            receipt = await arrive(instance.client)
            first = await stream.next()

        assert (first.event, first.data["id"]) == ("arrival", receipt["id"])

    async def test_a_fever_now_is_a_warning_of_its_own(self, instance: Instance) -> None:
        async with EventStream(instance.app, events_of(GATE.id), staff(GATE.id)) as stream:
            receipt = await arrive(instance.client, code=GATE.code, temperature=37.5)
            arrival = await stream.next_about(receipt["id"])

        assert arrival.data["status"] == "abnormal"
        assert arrival.data["warnings"] == [{"code": "fever_now", "message": "体温 37.5 ℃，达到发热标准（37.3 ℃）"}]

    async def test_a_stream_resumes_after_the_last_event_it_saw(self, instance: Instance) -> None:
        client = instance.client
        async with EventStream(instance.app, events_of(AUDITED.id), staff(AUDITED.id)) as stream:
            first = await arrive(client)
            seen = await stream.next_about(first["id"])
        missed = [await arrive(client), await arrive(client)]

        headers = staff(AUDITED.id) | {"Last-Event-ID": seen.id}
        async with EventStream(instance.app, events_of(AUDITED.id), headers) as resumed:
            # Each arrives within its 5 seconds, in this order, or the test fails.
            replayed = [await resumed.next_about(receipt["id"]) for receipt in missed]
            live = await arrive(client)
            after = await resumed.next_about(live["id"])

        assert [event.event for event in [*replayed, after]] == ["arrival"] * 3
        assert len({seen.id, *(event.id for event in replayed), after.id}) == 4

    async def test_only_staff_of_the_checkpoint_may_listen(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(events_of(AUDITED.id))).status_code == 401
        for headers in (staff(GATE.id), resident(), admin()):
            assert (await client.get(events_of(AUDITED.id), headers=headers)).status_code == 403


class TestHistory:
    async def test_own_check_ins_newest_first_with_companions(self, client: httpx.AsyncClient) -> None:
        person = resident()
        first = await arrive(client, person, GATE.code)
        second = await arrive(
            client,
            person,
            HOSPITAL_GATE.code,
            companions=[
                {"answers": hospital_answers("李小明", number=id_card("13010220150601002")), "temperature": 36.5}
            ],
        )
        await arrive(client, resident(), GATE.code)

        response = await client.get("/api/checkin/me/checkins", headers=person)

        items = response.json()["items"]
        assert [item["id"] for item in items] == [second["id"], second["companions"][0]["id"], first["id"]]
        assert items[0] | {"checked_at": ""} == {
            "id": second["id"],
            "checkpoint": {"code": "HSPT2345", "name": "唐山市人民医院门诊", "kind_label": "医院"},
            "status": "pending",
            "status_label": "待审核",
            "temperature": second["temperature"],
            "checked_at": "",
            "direction": "in",
            "name_masked": "张*",
            "companion_of": None,
            "decided_at": None,
            "reason": None,
        }
        assert items[1]["companion_of"] == second["id"]
        assert response.json()["next_cursor"] is None

    async def test_pages_follow_the_cursor(self, client: httpx.AsyncClient) -> None:
        person = resident()
        receipts = [await arrive(client, person, GATE.code) for _ in range(3)]

        first = (await client.get("/api/checkin/me/checkins", params={"limit": 2}, headers=person)).json()
        rest = (
            await client.get(
                "/api/checkin/me/checkins", params={"limit": 2, "cursor": first["next_cursor"]}, headers=person
            )
        ).json()

        assert [item["id"] for item in first["items"] + rest["items"]] == [receipt["id"] for receipt in receipts[::-1]]
        assert rest["next_cursor"] is None

    async def test_a_bad_cursor_is_a_422(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/checkin/me/checkins", params={"cursor": "x"}, headers=resident())

        assert [error["field"] for error in field_errors(response)] == ["cursor"]

    async def test_residents_only(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/checkin/me/checkins")).status_code == 401
        assert (await client.get("/api/checkin/me/checkins", headers=staff(GATE.id))).status_code == 403


class TestWithoutRedis:
    @pytest.fixture
    async def no_redis(self, broker_url: str, start: Serve) -> AsyncIterator[Instance]:
        async with start(checkin_settings("redis://127.0.0.1:1/0", broker_url, redis_timeout_seconds=0.2)) as running:
            yield running

    async def test_pending_and_decisions_wait_for_redis(self, no_redis: Instance) -> None:
        client = no_redis.client

        waiting = await client.get(pending_of(AUDITED.id), headers=staff(AUDITED.id))
        decided = await client.post(
            decision_on(str(uuid.uuid4())), json={"decision": "approve"}, headers=staff(AUDITED.id)
        )

        assert (waiting.status_code, decided.status_code) == (503, 503)
        assert decided.headers["retry-after"] == "5"

    async def test_hand_entries_wait_for_redis(self, no_redis: Instance, published: Published) -> None:
        response = await no_redis.client.post(by_hand(AUDITED.id), json=visitor(), headers=staff(AUDITED.id))

        assert (response.status_code, response.json()["code"]) == (503, "redis_unavailable")
        await published.nothing()

    async def test_event_streams_stay_open_on_heartbeats(self, no_redis: Instance) -> None:
        async with EventStream(no_redis.app, events_of(AUDITED.id), staff(AUDITED.id)) as stream:
            first = await stream.comment()
            second = await stream.comment()

        assert stream.status == 200
        assert (first, second) == ("connected", "ping")
