"""复测 on the staff board's fever card: the gate keeper enters the temperature taken again; the record keeps both
readings and the later one decides (docs/DESIGN-NOTES.md, Check-in)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from redis.asyncio import Redis

from .conftest import FakeGateway, FakeRegistry, FakeTrace, Instance
from .support import (
    CHECKINS,
    GATE,
    EventStream,
    Json,
    Published,
    checkpoint_config,
    field_errors,
    gate_answers,
    resident,
    seed,
    staff,
)

pytestmark = pytest.mark.usefixtures("backend")

# A gate whose arrivals wait for the gate keeper.
AUDITED = checkpoint_config(id=708, code="AUDR2345", name="育才小区南门", requires_audit=True)
STAFF = "/api/checkin/staff"


def remeasure_of(record_id: str) -> str:
    return f"{STAFF}/checkins/{record_id}/remeasure"


@pytest.fixture(autouse=True)
async def audited(cache: Redis, registry: FakeRegistry) -> None:
    registry.add(AUDITED)
    await seed(cache, AUDITED)


async def arrive(
    client: httpx.AsyncClient, person: dict[str, str], code: str, temperature: float, **more: object
) -> Json:
    body: Json = {"checkpoint_code": code, "client_id": str(uuid.uuid4()), "answers": gate_answers()} | more
    response = await client.post(CHECKINS, json=body | {"temperature": temperature}, headers=person)
    assert response.status_code == 201, response.text
    receipt: Json = response.json()
    return receipt


async def arrivals(client: httpx.AsyncClient, checkpoint_id: int) -> dict[str, Json]:
    response = await client.get(f"{STAFF}/checkpoints/{checkpoint_id}/arrivals", headers=staff(checkpoint_id))
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def codes(record: Json) -> list[str]:
    return [warning["code"] for warning in record["warnings"]]


class TestRemeasure:
    async def test_a_normal_reading_passes_the_record_which_keeps_both(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        person = resident()
        fever = await arrive(client, person, GATE.code, 38.2)
        await published.created()
        keeper = uuid.uuid4()

        response = await client.post(
            remeasure_of(fever["id"]), json={"temperature": 36.6}, headers=staff(GATE.id, staff_id=keeper)
        )

        assert response.status_code == 200, response.text
        record = response.json()
        assert (record["id"], record["status"], record["status_label"]) == (fever["id"], "passed", "准许通行")
        assert record["temperature"]["value"] == 38.2
        remeasure = record["remeasure"]
        assert (remeasure["value"], remeasure["measured_by"], remeasure["measured_by_name"]) == (
            36.6,
            str(keeper),
            "王卫",
        )
        assert remeasure["measured_at"].endswith("+08:00")
        assert (record["decided_by"], record["decided_at"]) == (str(keeper), remeasure["measured_at"])
        # No fever now: the card no longer says so.
        assert "fever_now" not in codes(record)
        event = await published.decided()
        assert (event.schema_version, event.status, event.decided_by) == (2, "passed", keeper)
        assert event.remeasure is not None
        assert (event.remeasure.temperature, event.remeasure.measured_by_name) == (36.6, "王卫")
        # Every view shows it: the board after a reload, the resident's history.
        assert (await arrivals(client, GATE.id))[fever["id"]] == record
        (mine,) = (await client.get("/api/checkin/me/checkins", headers=person)).json()["items"]
        assert (mine["status"], mine["temperature"]["value"]) == ("passed", 38.2)

    async def test_a_normal_reading_lifts_the_fever_mark_and_is_the_last_temperature(
        self, client: httpx.AsyncClient
    ) -> None:
        person, marked = resident(), resident()
        fever = await arrive(client, person, GATE.code, 38.2)
        await arrive(client, marked, GATE.code, 38.1)
        await client.post(remeasure_of(fever["id"]), json={"temperature": 36.6}, headers=staff(GATE.id))

        page = (await client.get(f"/api/checkin/checkpoints/{AUDITED.code}", headers=person)).json()
        cleared = await arrive(client, person, AUDITED.code, 36.5)
        still = await arrive(client, marked, AUDITED.code, 36.5)

        assert page["temperature"]["last"]["value"] == 36.6
        shown = await arrivals(client, AUDITED.id)
        assert (codes(shown[cleared["id"]]), codes(shown[still["id"]])) == ([], ["recent_fever"])

    async def test_a_confirmed_fever_marks_the_person_everywhere(self, client: httpx.AsyncClient) -> None:
        """A companion's fever marks them as declared by the resident, which a hand entry never shows; confirmed by
        staff, it warns wherever that person shows up."""
        child = gate_answers("李小明")
        household = await arrive(
            client, resident(), GATE.code, 36.5, companions=[{"answers": child, "temperature": 38.2}]
        )
        (companion,) = household["companions"]

        response = await client.post(remeasure_of(companion["id"]), json={"temperature": 38.4}, headers=staff(GATE.id))
        entered = await client.post(
            f"{STAFF}/checkpoints/{AUDITED.id}/checkins",
            json={"client_id": str(uuid.uuid4()), "name": "李小明", "phone": "13812345678", "temperature": 36.5},
            headers=staff(AUDITED.id),
        )

        assert response.status_code == 200, response.text
        confirmed = response.json()
        assert (confirmed["status"], confirmed["remeasure"]["value"]) == ("abnormal", 38.4)
        assert confirmed["warnings"][0] == {"code": "fever_now", "message": "体温 38.4 ℃，达到发热标准（37.3 ℃）"}
        (warning,) = (await arrivals(client, AUDITED.id))[entered.json()["id"]]["warnings"]
        assert warning["code"] == "recent_fever"
        assert warning["message"].endswith(f"在{GATE.name} 38.4 ℃")

    async def test_at_an_audited_gate_the_cleared_arrival_waits_for_the_keeper(self, client: httpx.AsyncClient) -> None:
        fever = await arrive(client, resident(), AUDITED.code, 38.0)
        keeper = staff(AUDITED.id)

        response = await client.post(remeasure_of(fever["id"]), json={"temperature": 36.7}, headers=keeper)
        waiting = (await client.get(f"{STAFF}/checkpoints/{AUDITED.id}/pending", headers=keeper)).json()["items"]
        answers = await client.get(f"{STAFF}/checkins/{fever['id']}/answers", headers=keeper)
        approved = await client.post(
            f"{STAFF}/checkins/{fever['id']}/decision", json={"decision": "approve"}, headers=keeper
        )

        assert (response.json()["status"], response.json()["status_label"]) == ("pending", "待审核")
        assert [item["id"] for item in waiting] == [fever["id"]]
        assert answers.status_code == 200, answers.text
        assert approved.json()["status"] == "passed"
        shown = (await arrivals(client, AUDITED.id))[fever["id"]]
        assert (shown["status"], shown["remeasure"]["value"]) == ("passed", 36.7)

    async def test_other_boards_of_the_checkpoint_see_it_live(self, instance: Instance) -> None:
        fever = await arrive(instance.client, resident(), GATE.code, 38.2)
        async with EventStream(instance.app, f"{STAFF}/checkpoints/{GATE.id}/events", staff(GATE.id)) as stream:
            response = await instance.client.post(
                remeasure_of(fever["id"]), json={"temperature": 36.9}, headers=staff(GATE.id)
            )
            event = await stream.next_about(fever["id"])

        assert (event.event, event.data) == ("remeasure", response.json())

    async def test_a_fever_sent_to_the_alerts_stays_reported_on_every_board(
        self, instance: Instance, trace: FakeTrace
    ) -> None:
        fever = await arrive(instance.client, resident(), GATE.code, 38.2)
        mark = trace.report(fever["id"])
        async with EventStream(instance.app, f"{STAFF}/checkpoints/{GATE.id}/events", staff(GATE.id)) as stream:
            response = await instance.client.post(
                remeasure_of(fever["id"]), json={"temperature": 38.4}, headers=staff(GATE.id)
            )
            event = await stream.next_about(fever["id"])

        assert response.json()["gate_report"] == mark
        assert event.data["gate_report"] == mark
        assert (await arrivals(instance.client, GATE.id))[fever["id"]]["gate_report"] == mark

    async def test_without_the_gateway_the_reading_is_kept_without_a_name(
        self, client: httpx.AsyncClient, gateway: FakeGateway
    ) -> None:
        fever = await arrive(client, resident(), GATE.code, 38.2)
        gateway.down = True

        response = await client.post(remeasure_of(fever["id"]), json={"temperature": 36.6}, headers=staff(GATE.id))

        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["remeasure"]["measured_by_name"]) == ("passed", None)


class TestRefused:
    async def test_an_unknown_record_is_a_404(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            remeasure_of(str(uuid.uuid4())), json={"temperature": 36.6}, headers=staff(GATE.id)
        )

        assert (response.status_code, response.json()["code"]) == (404, "record_not_found")

    async def test_another_checkpoints_record_is_a_404(self, client: httpx.AsyncClient, published: Published) -> None:
        fever = await arrive(client, resident(), GATE.code, 38.2)
        await published.created()

        response = await client.post(remeasure_of(fever["id"]), json={"temperature": 36.6}, headers=staff(AUDITED.id))

        assert (response.status_code, response.json()["code"]) == (404, "record_not_found")
        await published.nothing()
        assert (await arrivals(client, GATE.id))[fever["id"]]["status"] == "abnormal"

    async def test_only_a_fever_is_measured_again(self, client: httpx.AsyncClient) -> None:
        well = await arrive(client, resident(), GATE.code, 36.5)
        fever = await arrive(client, resident(), AUDITED.code, 38.0)
        await client.post(remeasure_of(fever["id"]), json={"temperature": 36.6}, headers=staff(AUDITED.id))

        passed = await client.post(remeasure_of(well["id"]), json={"temperature": 36.6}, headers=staff(GATE.id))
        waiting = await client.post(remeasure_of(fever["id"]), json={"temperature": 36.6}, headers=staff(AUDITED.id))

        assert (passed.status_code, passed.json()["code"]) == (409, "not_abnormal")
        assert passed.json()["detail"] == "该登记是“准许通行”，只有体温异常的登记可以复测"
        assert (waiting.status_code, waiting.json()["detail"]) == (409, "该登记是“待审核”，只有体温异常的登记可以复测")

    @pytest.mark.parametrize("temperature", [34.9, 42.6, "高"])
    async def test_a_reading_out_of_range_is_a_422(
        self, client: httpx.AsyncClient, published: Published, temperature: object
    ) -> None:
        fever = await arrive(client, resident(), GATE.code, 38.2)
        await published.created()

        response = await client.post(
            remeasure_of(fever["id"]), json={"temperature": temperature}, headers=staff(GATE.id)
        )

        assert response.status_code == 422
        assert [error["field"] for error in field_errors(response)] == ["temperature"]
        await published.nothing()

    async def test_residents_may_not(self, client: httpx.AsyncClient) -> None:
        person = resident()
        fever = await arrive(client, person, GATE.code, 38.2)

        response = await client.post(remeasure_of(fever["id"]), json={"temperature": 36.6}, headers=person)

        assert response.status_code == 403
