from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from lianfang.common.beijing import BEIJING

from .conftest import AccessLogStore, RecordsStore
from .support import Json, Person, admin, field_errors, id_card, record, since

pytestmark = pytest.mark.usefixtures("backend")

CONTACTS = "/api/trace/contacts"
ZHANG = Person("张三丰", "13812345678", id_card(31), uuid.uuid4())
# At the community gate (10 minutes assumed) while Zhang was there from 0 to 25 (he checked out).
AN = Person("安小红", "13900000001", id_card(32))  # 5 → 15, no check-out: 10 minutes together
BAI = Person("白大伟", "13900000002", id_card(33))  # -20 → 20, checked out: 20 minutes together
CAO = Person("曹一鸣", "13900000003", id_card(34))  # 40 → 50: not together, 15 minutes after Zhang left
DU = Person("杜子腾", "13900000004", id_card(35))  # 60 → 70: 35 minutes after, beyond the window
EN = Person("恩佳", "13900000005", id_card(36))  # at another gate at the same time
# At the hospital (120 minutes assumed) while Zhang was there from 180 to 300.
FANG = Person("方圆", "13900000006", id_card(37))  # 250 → 260, checked out: 10 minutes together
# Second degree: after meeting Zhang, An at the market from 100 and Bai from 105 (30 minutes assumed); Du came 10
# minutes after Cao left the gate.
GU = Person("顾念", "13900000007", id_card(38))  # 110 → 140: 20 minutes with An, 25 with Bai
HUA = Person("华清", "13900000008", id_card(39))  # with An at the market before An met Zhang: not a contact
# A parent checking in two children who give the parent's phone and no ID number.
QIAN = Person("钱多多", "13900000009", resident_id=uuid.uuid4())
MING = Person("小明", "13900000009")
HONG = Person("小红", "13900000009")


@pytest.fixture(autouse=True)
async def visits(store: RecordsStore, base: datetime) -> None:
    def at(minutes: int) -> datetime:
        return since(base, minutes)

    await store.add(
        record(ZHANG, 4201, at(0)),
        record(ZHANG, 4201, at(25), direction="out"),
        record(AN, 4201, at(5)),
        record(BAI, 4201, at(-20)),
        record(BAI, 4201, at(20), direction="out"),
        record(CAO, 4201, at(40)),
        record(DU, 4201, at(60)),
        record(EN, 4202, at(0)),
        record(ZHANG, 4301, at(180)),
        record(FANG, 4301, at(250)),
        record(FANG, 4301, at(260), direction="out"),
        record(AN, 4203, at(-90)),
        record(HUA, 4203, at(-100)),
        record(AN, 4203, at(100)),
        record(GU, 4203, at(110)),
        # Bai met An there too, but is listed once, as a first-degree contact.
        record(BAI, 4203, at(105)),
    )


async def screened(client: httpx.AsyncClient, headers: dict[str, str], base: datetime, **body: object) -> Json:
    period = {"from": since(base, -24 * 60).isoformat(), "to": since(base, 24 * 60).isoformat()}
    response = await client.post(CONTACTS, json=period | body, headers=headers)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


def shanghai(base: datetime, minutes: int) -> str:
    return since(base, minutes).astimezone(BEIJING).isoformat()


def names(contacts: list[Json]) -> list[str]:
    return [contact["person"]["name_masked"] for contact in contacts]


def summary(contacts: list[Json]) -> list[tuple[str, float, float]]:
    return [
        (contact["person"]["name_masked"], contact["minutes_together"], contact["gap_minutes"]) for contact in contacts
    ]


class TestFirstDegree:
    async def test_contacts_by_closeness_with_exact_minutes(self, client: httpx.AsyncClient, base: datetime) -> None:
        answer = await screened(client, admin(1), base, phone=ZHANG.phone)
        assert summary(answer["contacts"]) == [
            ("白**", 20.0, 0.0),
            ("安**", 10.0, 0.0),
            ("方*", 10.0, 0.0),
            ("曹**", 0.0, 15.0),
        ]
        assert answer["second_degree"] is None
        assert (answer["window_minutes"], answer["truncated"]) == (30, False)

    async def test_each_overlap_says_where_their_time_the_index_time_and_minutes_together(
        self, client: httpx.AsyncClient, base: datetime
    ) -> None:
        answer = await screened(client, admin(1), base, id_card=ZHANG.id_card)
        bai, an = answer["contacts"][:2]
        (with_bai,) = bai["overlaps"]
        assert with_bai == {
            "checkpoint_id": 4201,
            "checkpoint_name": "建明社区北门",
            "checkpoint_kind": "community",
            "checkpoint_kind_label": "小区/社区",
            "region_id": 91,
            "region_name": "建明社区",
            "their_stay": {
                "record_id": with_bai["their_stay"]["record_id"],
                "start": shanghai(base, -20),
                "end": shanghai(base, 20),
                "start_assumed": False,
                "end_assumed": False,
            },
            "index_stay": {
                "record_id": with_bai["index_stay"]["record_id"],
                "start": shanghai(base, 0),
                "end": shanghai(base, 25),
                "start_assumed": False,
                "end_assumed": False,
            },
            "minutes_together": 20.0,
            "gap_minutes": 0.0,
        }
        (with_an,) = an["overlaps"]
        assert (with_an["their_stay"]["start"], with_an["their_stay"]["end"], with_an["their_stay"]["end_assumed"]) == (
            shanghai(base, 5),
            shanghai(base, 15),
            True,
        )
        assert (bai["degree"], bai["via"], bai["person"]["phone_masked"]) == (1, [], "139****0002")

    async def test_the_index_persons_stays_come_first(self, client: httpx.AsyncClient, base: datetime) -> None:
        index = (await screened(client, admin(1), base, person_id=str(ZHANG.resident_id)))["index"]
        assert index["person"]["name_masked"] == "张**"
        assert [
            (stay["checkpoint_id"], stay["start"], stay["end"], stay["end_assumed"]) for stay in index["stays"]
        ] == [
            (4201, shanghai(base, 0), shanghai(base, 25), False),
            (4301, shanghai(base, 180), shanghai(base, 300), True),
        ]

    @pytest.mark.parametrize(
        ("window", "expected"),
        [
            (0, ["白**", "安**", "方*"]),
            (15, ["白**", "安**", "方*", "曹**"]),
            (35, ["白**", "安**", "方*", "曹**", "杜**"]),
        ],
    )
    async def test_the_window_widens_the_index_stays(
        self, client: httpx.AsyncClient, base: datetime, window: int, expected: list[str]
    ) -> None:
        answer = await screened(client, admin(1), base, phone=ZHANG.phone, window_minutes=window)
        assert names(answer["contacts"]) == expected

    @pytest.mark.parametrize(
        ("region_id", "expected"),
        [
            (7, ["白**", "安**", "方*", "曹**"]),
            (42, ["白**", "安**", "曹**"]),
            (91, ["白**", "安**", "曹**"]),
            (43, ["方*"]),
            (89, []),
            (8, []),
        ],
    )
    async def test_an_admin_screens_only_inside_its_subtree(
        self, client: httpx.AsyncClient, base: datetime, region_id: int, expected: list[str]
    ) -> None:
        answer = await screened(client, admin(region_id), base, phone=ZHANG.phone)
        assert names(answer["contacts"]) == expected

    async def test_an_unknown_person_is_an_empty_answer(self, client: httpx.AsyncClient, base: datetime) -> None:
        answer = await screened(client, admin(1), base, phone="13700000000", second_degree=True)
        assert (answer["index"], answer["contacts"], answer["second_degree"]) == (
            {"person": None, "unmasked": None, "stays": []},
            [],
            [],
        )


class TestSecondDegree:
    async def test_contacts_of_contacts_after_their_contact_are_listed_apart(
        self, client: httpx.AsyncClient, base: datetime
    ) -> None:
        answer = await screened(client, admin(1), base, phone=ZHANG.phone, second_degree=True)
        first = {contact["person"]["name_masked"]: contact["id"] for contact in answer["contacts"]}
        assert [
            (contact["person"]["name_masked"], contact["degree"], contact["via"], contact["minutes_together"])
            for contact in answer["second_degree"]
        ] == [("顾*", 2, sorted([first["安**"], first["白**"]]), 45.0), ("杜**", 2, [first["曹**"]], 0.0)]
        assert answer["second_degree"][1]["gap_minutes"] == 10.0
        through_bai, through_an = answer["second_degree"][0]["overlaps"]
        assert [
            (overlap["checkpoint_name"], overlap["index_stay"]["start"], overlap["their_stay"]["start"])
            for overlap in (through_bai, through_an)
        ] == [
            ("育才菜市场", shanghai(base, 105), shanghai(base, 110)),
            ("育才菜市场", shanghai(base, 100), shanghai(base, 110)),
        ]
        assert [through_bai["minutes_together"], through_an["minutes_together"]] == [25.0, 20.0]
        assert all(contact["degree"] == 1 for contact in answer["contacts"])

    async def test_second_degree_respects_scope_too(self, client: httpx.AsyncClient, base: datetime) -> None:
        answer = await screened(client, admin(88), base, phone=ZHANG.phone, second_degree=True)
        assert (names(answer["contacts"]), names(answer["second_degree"])) == (["白**", "安**", "曹**"], ["杜**"])


class TestAccessLog:
    async def test_a_screening_is_logged_with_its_query_and_reason_never_its_result(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, base: datetime
    ) -> None:
        await screened(client, admin(43), base, phone=ZHANG.phone, window_minutes=15, reason="病例 17 密接筛查")
        (entry,) = await access_log.entries()
        assert (entry.action, entry.actor_region_id, entry.reason) == ("contacts", 43, "病例 17 密接筛查")
        assert entry.query == {
            "phone": "138****5678",
            "from": shanghai(base, -24 * 60),
            "to": shanghai(base, 24 * 60),
            "window_minutes": 15,
            "second_degree": False,
        }


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({}, [("phone", "missing")]),
            ({"phone": "13812345678", "person_id": str(uuid.uuid4())}, [("person_id", "one_of")]),
            ({"phone": "13812345678", "window_minutes": 721}, [("window_minutes", "less_than_equal")]),
            ({"phone": "13812345678", "window_minutes": -1}, [("window_minutes", "greater_than_equal")]),
            ({"phone": "13812345678", "second_degree": "maybe"}, [("second_degree", "bool_parsing")]),
            ({"phone": "13812345678", "from": "2026-11-20T00:00:00"}, [("from", "timezone_aware")]),
            (
                {"phone": "13812345678", "from": "2026-11-20T00:00:00+08:00", "to": "2026-11-19T00:00:00+08:00"},
                [("to", "period_order")],
            ),
            (
                {"phone": "13812345678", "from": "2026-01-01T00:00:00+08:00", "to": "2026-11-19T00:00:00+08:00"},
                [("from", "period_too_long")],
            ),
            ({"phone": "13812345678", "start": "2026-11-20T00:00:00+08:00"}, [("start", "extra_forbidden")]),
            ({"id_card": "130102199003071230"}, [("id_card", "checksum")]),
        ],
    )
    async def test_each_bad_body_is_a_422_naming_its_field(
        self, client: httpx.AsyncClient, body: Json, expected: list[tuple[str, str]]
    ) -> None:
        assert field_errors(await client.post(CONTACTS, json=body, headers=admin(1))) == expected

    async def test_a_body_that_is_not_json_is_a_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CONTACTS, content=b"{", headers=admin(1) | {"content-type": "application/json"})
        assert (response.status_code, response.json()["code"]) == (400, "bad_request")


class TestChildrenSharingAPhone:
    async def add_household(self, store: RecordsStore, base: datetime, *, check_outs: bool) -> None:
        parent = record(QIAN, 4201, since(base, 1))
        children = [
            record(child, 4201, since(base, 1), companion_of=parent.id, resident_id=QIAN.resident_id)
            for child in (MING, HONG)
        ]
        added = [parent, *children]
        if check_outs:
            early = record(QIAN, 4201, since(base, 3), direction="out")
            late = record(QIAN, 4201, since(base, 20), direction="out")
            added += [
                early,
                record(
                    MING, 4201, since(base, 3), direction="out", companion_of=early.id, resident_id=QIAN.resident_id
                ),
                late,
                record(
                    HONG, 4201, since(base, 20), direction="out", companion_of=late.id, resident_id=QIAN.resident_id
                ),
            ]
        await store.add(*added)

    async def test_without_check_outs_each_child_is_a_contact_of_their_own(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await self.add_household(store, base, check_outs=False)

        answer = await screened(client, admin(1), base, phone=ZHANG.phone)

        household = [contact for contact in answer["contacts"] if contact["person"]["phone_masked"] == "139****0009"]
        assert sorted((contact["person"]["name_masked"], contact["minutes_together"]) for contact in household) == [
            ("小*", 10.0),
            ("小*", 10.0),
            ("钱**", 10.0),
        ]
        assert len({contact["id"] for contact in household}) == 3

    async def test_one_child_screened_by_the_shared_phone_and_their_name_meets_the_other_and_the_parent(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await self.add_household(store, base, check_outs=False)

        answer = await screened(client, admin(1), base, phone=MING.phone, name=MING.name)

        assert answer["index"]["person"]["name_masked"] == "小*"
        assert [(stay["start"], stay["end"]) for stay in answer["index"]["stays"]] == [
            (shanghai(base, 1), shanghai(base, 11))
        ]
        household = [contact for contact in answer["contacts"] if contact["person"]["phone_masked"] == "139****0009"]
        assert sorted((contact["person"]["name_masked"], contact["minutes_together"]) for contact in household) == [
            ("小*", 10.0),
            ("钱**", 10.0),
        ]

    async def test_with_check_outs_each_childs_stay_ends_at_their_own(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await self.add_household(store, base, check_outs=True)

        answer = await screened(client, admin(1), base, phone=ZHANG.phone)

        household = [contact for contact in answer["contacts"] if contact["person"]["phone_masked"] == "139****0009"]
        # 小明 left at 3 and 小红 at 20, each with the parent: neither child's check-out ends the other's stay. The
        # parent's second check-out, without a check-in, is a stay of its own (the gate's 10 minutes before it).
        assert sorted(
            (contact["person"]["name_masked"], contact["minutes_together"], len(contact["overlaps"]))
            for contact in household
        ) == [("小*", 2.0, 1), ("小*", 19.0, 1), ("钱**", 12.0, 2)]
