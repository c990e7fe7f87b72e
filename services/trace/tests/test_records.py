from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.beijing import BEIJING
from lianfang.common.db import encode_cursor
from lianfang.common.testing import bearer

from .conftest import AccessLogStore, RecordsStore
from .support import (
    CHECKPOINTS,
    FakeRegistry,
    Json,
    Person,
    admin,
    field_errors,
    id_card,
    record,
    since,
)

pytestmark = pytest.mark.usefixtures("backend")

RECORDS = "/api/trace/records"
ZHANG_ID = id_card(11)
LI_ID = id_card(12)
ZHANG = Person("张三丰", "13812345678", ZHANG_ID, uuid.uuid4())
LI = Person("李四", "13900001111", LI_ID)


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: str | int) -> Json:
    response = await client.get(RECORDS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: Json = response.json()
    return page


def checkpoints_of(page: Json) -> list[int]:
    return [item["checkpoint_id"] for item in page["items"]]


class TestScope:
    @pytest.fixture(autouse=True)
    async def one_record_at_every_checkpoint(self, store: RecordsStore, base: datetime) -> None:
        await store.add(*(record(LI, checkpoint, since(base, index)) for index, checkpoint in enumerate(CHECKPOINTS)))

    @pytest.mark.parametrize(
        ("region_id", "expected"),
        [
            (1, {4201, 4202, 4203, 4301, 4302, 8001}),
            (7, {4201, 4202, 4203, 4301, 4302}),
            (8, {8001}),
            (42, {4201, 4202, 4203}),
            (43, {4301, 4302}),
            (88, {4201, 4202}),
            (89, {4203}),
            (91, {4201}),
        ],
    )
    async def test_an_admin_sees_the_records_of_its_subtree_and_nothing_else(
        self, client: httpx.AsyncClient, region_id: int, expected: set[int]
    ) -> None:
        page = await listed(client, admin(region_id))
        assert set(checkpoints_of(page)) == expected
        assert len(page["items"]) == len(expected)

    @pytest.mark.parametrize(
        ("caller", "region_id", "expected"),
        [(1, 42, {4201, 4202, 4203}), (7, 88, {4201, 4202}), (42, 92, {4202}), (43, 43, {4301, 4302})],
    )
    async def test_a_region_below_narrows_the_list(
        self, client: httpx.AsyncClient, caller: int, region_id: int, expected: set[int]
    ) -> None:
        assert set(checkpoints_of(await listed(client, admin(caller), region_id=region_id))) == expected

    @pytest.mark.parametrize(("caller", "region_id"), [(42, 43), (42, 7), (88, 89), (8, 91)])
    async def test_a_region_outside_the_subtree_is_forbidden(
        self, client: httpx.AsyncClient, caller: int, region_id: int
    ) -> None:
        response = await client.get(RECORDS, params={"region_id": region_id}, headers=admin(caller))
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")

    async def test_a_region_another_caller_asked_for_is_still_checked_against_the_scope(
        self, client: httpx.AsyncClient, registry: FakeRegistry
    ) -> None:
        await listed(client, admin(1), region_id=43)
        response = await client.get(RECORDS, params={"region_id": 43}, headers=admin(42))
        assert response.status_code == 403
        assert registry.asked.count("/api/registry/regions/43") == 1

    async def test_a_checkpoint_outside_the_subtree_shows_nothing(self, client: httpx.AsyncClient) -> None:
        assert (await listed(client, admin(42), checkpoint_id=4301))["items"] == []

    async def test_an_unknown_region_is_a_field_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.get(RECORDS, params={"region_id": 999}, headers=admin(1))
        assert field_errors(response) == [("region_id", "not_found")]

    async def test_only_admins_read_records(self, client: httpx.AsyncClient) -> None:
        resident = await client.get(RECORDS, headers=bearer(ResidentPrincipal(uuid.uuid4())))
        anonymous = await client.get(RECORDS)
        assert (resident.status_code, anonymous.status_code) == (403, 401)


class TestPage:
    async def test_an_item_shows_the_person_masked_with_names_and_shanghai_time(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4201, base, temperature=37.6, status="abnormal"))
        (item,) = (await listed(client, admin(7)))["items"]
        assert item == {
            "id": str(stored.id),
            "checked_at": base.astimezone(BEIJING).isoformat(),
            "checkpoint_id": 4201,
            "checkpoint_name": "建明社区北门",
            "checkpoint_kind": "community",
            "checkpoint_kind_label": "小区/社区",
            "region_id": 91,
            "region_name": "建明社区",
            "person": {
                "person_id": str(ZHANG.resident_id),
                "name_masked": "张**",
                "phone_masked": "138****5678",
                "id_card_masked": f"130{'*' * 11}{ZHANG_ID[-4:]}",
            },
            "companion": False,
            "temperature": 37.6,
            "temperature_source": "measured",
            "direction": "in",
            "status": "abnormal",
            "status_label": "体温异常",
            "distance_m": None,
            "outside_radius": None,
            "remote_scan": False,
            "remeasure": None,
        }
        assert item["checked_at"].endswith("+08:00")

    async def test_pages_run_newest_first_without_gaps_or_repeats_across_equal_times(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        same_minute = [record(LI, 4201, base) for _ in range(5)]
        others = [record(LI, 4202, since(base, minutes)) for minutes in (-30, -10, 10, 30)]
        await store.add(*same_minute, *others)
        seen: list[Json] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = await listed(client, admin(1), **params)
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 9
        assert len({item["id"] for item in seen}) == 9
        times = [datetime.fromisoformat(item["checked_at"]) for item in seen]
        assert times == sorted(times, reverse=True)

    async def test_the_first_page_counts_the_search_and_later_pages_do_not(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(*(record(LI, 4201, since(base, minutes)) for minutes in range(5)))
        await store.add(*(record(ZHANG, 4301, since(base, minutes)) for minutes in range(4)))

        first = await listed(client, admin(1), limit=2)
        second = await listed(client, admin(1), limit=2, cursor=first["next_cursor"])
        at_gate = await listed(client, admin(1), checkpoint_id=4201)
        by_phone = await listed(client, admin(1), phone="13812345678")
        beside = await listed(client, admin(8))

        assert first["total"] == {"count": 9, "more": False}
        assert second["total"] is None
        assert at_gate["total"] == {"count": 5, "more": False}
        assert by_phone["total"] == {"count": 4, "more": False}
        assert beside["total"] == {"count": 0, "more": False}

    async def test_a_total_past_the_cap_says_there_are_more(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("lianfang.trace.records.service.TOTAL_CAP", 3)
        await store.add(*(record(LI, 4201, since(base, minutes)) for minutes in range(4)))

        page = await listed(client, admin(1), limit=2)

        assert page["total"] == {"count": 3, "more": True}

    async def test_the_last_page_says_there_is_no_next(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(record(LI, 4201, base), record(LI, 4201, since(base, 1)))
        page = await listed(client, admin(1), limit=2)
        assert (len(page["items"]), page["next_cursor"]) == (2, None)

    async def test_filters_narrow_by_checkpoint_status_period_phone_id_number_and_name(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        zhang_gate, zhang_fever, li_market, li_early = await store.add(
            record(ZHANG, 4201, base),
            record(ZHANG, 4203, since(base, 60), temperature=38.0, status="abnormal"),
            record(LI, 4203, since(base, 120)),
            record(LI, 4201, since(base, -24 * 60)),
        )
        headers = admin(1)

        async def ids(**params: str | int) -> set[str]:
            return {item["id"] for item in (await listed(client, headers, **params))["items"]}

        assert await ids(checkpoint_id=4203) == {str(zhang_fever.id), str(li_market.id)}
        assert await ids(status="abnormal") == {str(zhang_fever.id)}
        assert await ids(phone="138 1234 5678") == {str(zhang_gate.id), str(zhang_fever.id)}
        assert await ids(id_card=LI_ID.lower()) == {str(li_market.id), str(li_early.id)}
        assert await ids(name=" 李四 ") == {str(li_market.id), str(li_early.id)}
        assert await ids(name="李") == set()
        period = {"from": since(base, -60).isoformat(), "to": since(base, 120).isoformat()}
        assert await ids(**period) == {str(zhang_gate.id), str(zhang_fever.id)}

    async def test_names_are_asked_of_the_registry_in_one_call_once_per_checkpoint(
        self, client: httpx.AsyncClient, store: RecordsStore, registry: FakeRegistry, base: datetime
    ) -> None:
        await store.add(*(record(LI, 4201, since(base, minutes)) for minutes in range(5)), record(LI, 4202, base))
        await listed(client, admin(88))
        await listed(client, admin(88))
        # The caller's own region once too, for its city's shard key.
        region, names = registry.asked
        assert region == "/api/registry/regions/88"
        assert sorted(names.partition("?id=")[2].split(",")) == ["4201", "4202"]

    async def test_records_are_listed_without_names_while_the_registry_is_down(
        self, client: httpx.AsyncClient, store: RecordsStore, registry: FakeRegistry, base: datetime
    ) -> None:
        await store.add(record(LI, 4201, base))
        registry.down = True
        (item,) = (await listed(client, admin(1)))["items"]
        assert (item["checkpoint_name"], item["region_name"], item["region_id"]) == (None, None, 91)

    async def test_a_region_below_costs_a_registry_call_while_the_registry_is_down(
        self, client: httpx.AsyncClient, registry: FakeRegistry
    ) -> None:
        registry.down = True
        response = await client.get(RECORDS, params={"region_id": 42}, headers=admin(1))
        assert (response.status_code, response.json()["code"]) == (503, "service_unavailable")


class TestPersonSearch:
    async def test_a_search_by_name_is_logged_with_the_name_masked(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime
    ) -> None:
        await store.add(record(ZHANG, 4201, base))
        page = await listed(client, admin(42), name="张三丰")
        assert [item["person"]["name_masked"] for item in page["items"]] == ["张**"]
        (entry,) = await access_log.entries()
        assert (entry.action, entry.query["name"]) == ("person_search", "张**")
        assert "张三丰" not in str(entry.query)

    async def test_every_page_of_a_search_by_phone_is_logged_with_the_number_masked(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime
    ) -> None:
        await store.add(*(record(ZHANG, 4201, since(base, minutes)) for minutes in range(3)))
        headers = admin(42)
        first = await listed(client, headers, phone="13812345678", limit=2)
        second = await listed(client, headers, phone="13812345678", limit=2, cursor=first["next_cursor"])
        assert (len(first["items"]), len(second["items"])) == (2, 1)
        entries = await access_log.entries()
        assert len(entries) == 2
        for entry in entries:
            assert (entry.action, entry.actor_region_id, entry.actor_region_path) == ("person_search", 42, "/1/7/42/")
            assert entry.query["phone"] == "138****5678"
            assert set(entry.query) == {"region_id", "from", "to", "phone"}
            assert "13812345678" not in str(entry.query)

    async def test_a_forged_cursor_shows_nothing_and_says_why(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime
    ) -> None:
        await store.add(*(record(ZHANG, 4201, since(base, minutes)) for minutes in range(3)))
        forged = encode_cursor([(base + timedelta(days=1)).isoformat(), str(uuid.uuid4())])

        response = await client.get(RECORDS, params={"phone": "13812345678", "cursor": forged}, headers=admin(42))

        assert field_errors(response) == [("cursor", "invalid")]
        assert "items" not in response.json()

    async def test_a_cursor_serves_only_the_search_and_the_scope_that_made_it(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        await store.add(*(record(person, 4201, since(base, minutes)) for minutes in range(3) for person in (ZHANG, LI)))
        first = await listed(client, admin(42), limit=2)
        cursor = first["next_cursor"]

        another_search = await client.get(RECORDS, params={"phone": LI.phone, "cursor": cursor}, headers=admin(42))
        another_scope = await client.get(RECORDS, params={"limit": 2, "cursor": cursor}, headers=admin(1))
        same = await client.get(RECORDS, params={"limit": 2, "cursor": cursor}, headers=admin(42))

        assert field_errors(another_search) == [("cursor", "invalid")]
        assert field_errors(another_scope) == [("cursor", "invalid")]
        assert len(same.json()["items"]) == 2

    async def test_a_list_without_a_person_is_not_logged(
        self, client: httpx.AsyncClient, access_log: AccessLogStore
    ) -> None:
        await listed(client, admin(1))
        assert await access_log.entries() == []


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"from": "2026-11-20T00:00:00+08:00", "to": "2026-11-19T00:00:00+08:00"}, [("to", "period_order")]),
            ({"from": "2026-11-20T00:00:00+08:00", "to": "2026-11-20T00:00:00+08:00"}, [("to", "period_order")]),
            ({"from": "2026-01-01T00:00:00+08:00", "to": "2026-06-01T00:00:00+08:00"}, [("from", "period_too_long")]),
            ({"from": "2026-11-20T00:00:00"}, [("from", "timezone_aware")]),
            ({"to": "yesterday"}, [("to", "datetime_from_date_parsing")]),
            ({"limit": 201}, [("limit", "less_than_equal")]),
            ({"limit": 0}, [("limit", "greater_than_equal")]),
            ({"status": "lost"}, [("status", "enum")]),
            ({"phone": "12345"}, [("phone", "invalid")]),
            ({"id_card": "130102199003071230"}, [("id_card", "checksum")]),
            ({"name": "张3"}, [("name", "invalid")]),
            ({"cursor": "not-a-cursor"}, [("cursor", "invalid")]),
            ({"cursor": "."}, [("cursor", "invalid")]),
            ({"cursor": "%%%.%%%"}, [("cursor", "invalid")]),
            ({"cursor": "\u00ff" * 40}, [("cursor", "invalid")]),
            ({"cursor": encode_cursor(["2026-11-20T00:00:00", str(uuid.uuid4())])}, [("cursor", "invalid")]),
            ({"cursor": encode_cursor(["2026-11-20T00:00:00+08:00"])}, [("cursor", "invalid")]),
        ],
    )
    async def test_each_bad_filter_is_a_422_naming_its_field(
        self, client: httpx.AsyncClient, params: Json, expected: list[tuple[str, str]]
    ) -> None:
        assert field_errors(await client.get(RECORDS, params=params, headers=admin(1))) == expected

    async def test_the_longest_period_is_allowed(self, client: httpx.AsyncClient, base: datetime) -> None:
        params = {"from": (base - timedelta(days=92)).isoformat(), "to": base.isoformat()}
        assert (await client.get(RECORDS, params=params, headers=admin(1))).status_code == 200


class TestWhereabouts:
    async def test_a_far_check_in_shows_its_distance_and_is_found_by_it(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        far = record(ZHANG, 4201, base)
        far.distance_m, far.outside_radius = 2302, True
        near = record(LI, 4201, since(base, 1))
        near.distance_m, near.outside_radius = 40, False
        from_picture = record(LI, 4201, since(base, 2))
        from_picture.remote_scan = True
        unknown = record(LI, 4201, since(base, 3))
        await store.add(far, near, from_picture, unknown)

        everything = (await listed(client, admin(7)))["items"]
        outside = (await listed(client, admin(7), outside_radius="true"))["items"]
        inside = (await listed(client, admin(7), outside_radius="false"))["items"]

        assert [(item["distance_m"], item["outside_radius"], item["remote_scan"]) for item in everything] == [
            (None, None, False),
            (None, None, True),
            (40, False, False),
            (2302, True, False),
        ]
        assert [item["id"] for item in outside] == [str(far.id)]
        assert [item["id"] for item in inside] == [str(near.id)]
