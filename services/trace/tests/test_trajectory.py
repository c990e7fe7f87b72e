from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from lianfang.common.beijing import BEIJING
from lianfang.common.ids import new_id
from lianfang.common.testing import serve
from lianfang.trace.main import create_app
from lianfang.trace.settings import TraceSettings

from .conftest import AccessLogStore, RecordsStore
from .support import PII, FakeRegistry, Json, Person, admin, field_errors, id_card, record, since

pytestmark = pytest.mark.usefixtures("backend")

TRAJECTORY = "/api/trace/people/trajectory"
ZHANG_ID = id_card(21)
ZHANG = Person("张三丰", "13812345678", ZHANG_ID, uuid.uuid4())
# A child checked in from Zhang's phone: their record carries Zhang's phone and account, but is not Zhang's visit.
CHILD = Person("张小宝", "13812345678")
LI = Person("李四", "13900001111", id_card(22))


async def traced(client: httpx.AsyncClient, headers: dict[str, str], **params: str | int) -> Json:
    response = await client.get(TRAJECTORY, params=params, headers=headers)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


def places(answer: Json) -> list[int]:
    return [visit["checkpoint_id"] for visit in answer["visits"]]


@pytest.fixture
async def zhang_visits(store: RecordsStore, base: datetime) -> None:
    """Zhang in Shijiazhuang (a community gate, a hospital, a market with a fever) and in Tangshan; the child once."""
    gate = record(ZHANG, 4201, base)
    await store.add(
        gate,
        record(CHILD, 4201, base, companion_of=gate.id, resident_id=ZHANG.resident_id),
        record(LI, 4201, since(base, 10)),
        record(ZHANG, 4301, since(base, 60)),
        record(ZHANG, 8001, since(base, 120)),
        record(ZHANG, 4203, since(base, 180), temperature=38.2, status="abnormal"),
    )


@pytest.mark.usefixtures("zhang_visits")
class TestFinding:
    async def test_by_phone_every_visit_under_that_phone_in_time_order(
        self, client: httpx.AsyncClient, base: datetime
    ) -> None:
        answer = await traced(client, admin(1), phone="13812345678")
        assert places(answer) == [4201, 4201, 4301, 8001, 4203]
        assert [visit["person"]["name_masked"] for visit in answer["visits"]] == [
            "张**",
            "张**",
            "张**",
            "张**",
            "张**",
        ]
        assert [visit["companion"] for visit in answer["visits"]] == [False, True, False, False, False]
        assert answer["person"] == {
            "person_id": str(ZHANG.resident_id),
            "name_masked": "张**",
            "phone_masked": "138****5678",
            "id_card_masked": f"130{'*' * 11}{ZHANG_ID[-4:]}",
        }
        fever = answer["visits"][-1]
        assert (fever["checkpoint_name"], fever["region_name"], fever["temperature"], fever["status"]) == (
            "育才菜市场",
            "育才街道",
            38.2,
            "abnormal",
        )
        assert fever["checked_at"] == since(base, 180).astimezone(BEIJING).isoformat()

    async def test_by_phone_and_name_one_person_of_those_who_share_the_phone(
        self, client: httpx.AsyncClient, base: datetime
    ) -> None:
        child = await traced(client, admin(1), phone="13812345678", name="张小宝")
        zhang = await traced(client, admin(1), phone="１３８１２３４５６７８", name=" 张三丰 ")
        assert [(visit["checkpoint_id"], visit["companion"]) for visit in child["visits"]] == [(4201, True)]
        assert child["visits"][0]["checked_at"] == base.astimezone(BEIJING).isoformat()
        assert places(zhang) == [4201, 4301, 8001, 4203]
        assert {visit["person"]["name_masked"] for visit in child["visits"] + zhang["visits"]} == {"张**"}
        nobody = await traced(client, admin(1), phone="13812345678", name="张三")
        assert (nobody["person"], nobody["visits"]) == (None, [])

    async def test_by_id_number_and_by_account_only_the_persons_own_visits(self, client: httpx.AsyncClient) -> None:
        by_id = await traced(client, admin(1), id_card=ZHANG_ID)
        by_account = await traced(client, admin(1), person_id=str(ZHANG.resident_id))
        assert places(by_id) == places(by_account) == [4201, 4301, 8001, 4203]
        assert by_id["visits"] == by_account["visits"]

    @pytest.mark.parametrize(
        ("region_id", "expected"),
        [
            (1, [4201, 4301, 8001, 4203]),
            (7, [4201, 4301, 4203]),
            (8, [8001]),
            (42, [4201, 4203]),
            (43, [4301]),
            (88, [4201]),
            (89, [4203]),
            (91, [4201]),
            (92, []),
        ],
    )
    async def test_an_admin_sees_only_the_visits_inside_its_subtree(
        self, client: httpx.AsyncClient, region_id: int, expected: list[int]
    ) -> None:
        answer = await traced(client, admin(region_id), id_card=ZHANG_ID)
        assert places(answer) == expected
        assert (answer["person"] is None) == (not expected)

    async def test_an_unknown_person_is_an_empty_answer(self, client: httpx.AsyncClient) -> None:
        answer = await traced(client, admin(1), phone="13700000000")
        assert (answer["person"], answer["visits"], answer["truncated"]) == (None, [], False)

    async def test_the_period_bounds_the_visits(self, client: httpx.AsyncClient, base: datetime) -> None:
        answer = await traced(
            client,
            admin(1),
            id_card=ZHANG_ID,
            **{"from": since(base, 30).isoformat(), "to": since(base, 180).isoformat()},
        )
        assert places(answer) == [4301, 8001]
        assert (answer["from"], answer["to"]) == (
            since(base, 30).astimezone(BEIJING).isoformat(),
            since(base, 180).astimezone(BEIJING).isoformat(),
        )


class TestDefaults:
    async def test_without_a_period_the_last_fourteen_days(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        # `base` is three days ago.
        await store.add(record(LI, 4201, base - timedelta(days=12)), record(LI, 4202, base - timedelta(days=10)))
        assert places(await traced(client, admin(1), phone="13900001111")) == [4202]

    async def test_the_visits_are_cut_at_the_limit_and_the_answer_says_so(
        self, settings: TraceSettings, registry: FakeRegistry, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(*(record(LI, 4201, since(base, minutes)) for minutes in range(11)))
        app = create_app(
            settings.model_copy(update={"trajectory_max_visits": 10}),
            registry_transport=httpx.MockTransport(registry.handle),
        )
        async with serve(app) as client:
            answer = await traced(client, admin(1), phone="13900001111")
        assert (len(answer["visits"]), answer["truncated"]) == (10, True)
        assert answer["visits"][0]["checked_at"] == base.astimezone(BEIJING).isoformat()


class TestAccessLog:
    async def test_each_trajectory_is_logged_with_its_query_and_reason_never_its_result(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime
    ) -> None:
        (visit,) = await store.add(record(ZHANG, 4201, base))
        caller = admin(42)
        period = {"from": since(base, -60).isoformat(), "to": since(base, 60).isoformat()}
        await traced(client, caller, phone="13812345678", reason="密接排查：病例 2026-17", **period)
        await traced(client, caller, person_id=str(ZHANG.resident_id), **period)
        await traced(client, caller, phone="13812345678", name="张小宝", **period)
        first, second, third = await access_log.entries()
        assert (first.action, first.actor_region_id, first.actor_region_path) == ("trajectory", 42, "/1/7/42/")
        assert first.query == {
            "phone": "138****5678",
            "from": since(base, -60).astimezone(BEIJING).isoformat(),
            "to": since(base, 60).astimezone(BEIJING).isoformat(),
        }
        assert (first.reason, first.subject) == ("密接排查：病例 2026-17", f"phone:{PII.search_hash('13812345678')}")
        assert (second.query["person_id"], second.reason, second.subject) == (
            str(ZHANG.resident_id),
            None,
            f"person_id:{ZHANG.resident_id}",
        )
        assert (third.query["person"], third.subject) == ("张** 138****5678", f"phone:{PII.search_hash('13812345678')}")
        logged = f"{first.query} {second.query} {third.query} {first.subject} {second.subject}"
        assert str(visit.id) not in logged
        assert "13812345678" not in logged
        assert "小宝" not in logged

    async def test_a_refused_query_is_not_logged(self, client: httpx.AsyncClient, access_log: AccessLogStore) -> None:
        await client.get(TRAJECTORY, params={"phone": "12345"}, headers=admin(1))
        assert await access_log.entries() == []


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, [("phone", "missing")]),
            ({"phone": "", "id_card": ""}, [("phone", "missing")]),
            ({"phone": "13812345678", "id_card": ZHANG_ID}, [("id_card", "one_of")]),
            ({"id_card": ZHANG_ID, "person_id": str(new_id())}, [("person_id", "one_of")]),
            ({"phone": "1381234567"}, [("phone", "invalid")]),
            ({"id_card": "13010219900307"}, [("id_card", "invalid")]),
            ({"person_id": "someone"}, [("person_id", "uuid_parsing")]),
            ({"name": "张三丰"}, [("phone", "missing")]),
            ({"id_card": ZHANG_ID, "name": "张三丰"}, [("name", "phone_required")]),
            ({"phone": "13812345678", "name": "张" * 51}, [("name", "string_too_long")]),
            (
                {"phone": "13812345678", "from": "2026-11-20T08:00:00+08:00", "to": "2026-11-20T07:00:00+08:00"},
                [("to", "period_order")],
            ),
            (
                {"phone": "13812345678", "from": "2026-01-01T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"},
                [("from", "period_too_long")],
            ),
            ({"phone": "13812345678", "to": "2026-11-20 08:00"}, [("to", "timezone_aware")]),
            ({"phone": "13812345678", "reason": "因" * 201}, [("reason", "string_too_long")]),
        ],
    )
    async def test_each_bad_query_is_a_422_naming_its_field(
        self, client: httpx.AsyncClient, params: Json, expected: list[tuple[str, str]]
    ) -> None:
        assert field_errors(await client.get(TRAJECTORY, params=params, headers=admin(1))) == expected
