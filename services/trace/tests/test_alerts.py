from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from lianfang.common.auth import ResidentPrincipal, StaffPrincipal
from lianfang.common.beijing import BEIJING
from lianfang.common.contracts.records import Record
from lianfang.common.testing import bearer

from .conftest import AccessLogStore, RecordsStore
from .support import PII, REGIONS, Json, Person, admin, field_errors, id_card, record, since

pytestmark = pytest.mark.usefixtures("backend")

ALERTS = "/api/trace/alerts"
ZHANG_ID = id_card(31)
ZHANG = Person("张三丰", "13812345678", ZHANG_ID, uuid.uuid4())
LI = Person("李四", "13900001111")
WANG = Person("王五", "13700002222")
# A child checked in as a companion, with neither phone nor ID number of its own.
CHILD = Person("王小宝")


async def alerts(client: httpx.AsyncClient, headers: dict[str, str], **params: str | int) -> Json:
    response = await client.get(ALERTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: Json = response.json()
    return page


async def visits(client: httpx.AsyncClient, headers: dict[str, str], url: str, **params: str) -> Json:
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


def fever(
    person: Person, checkpoint_id: int, at: datetime, temperature: float = 38.2, companion_of: uuid.UUID | None = None
) -> Record:
    return record(person, checkpoint_id, at, status="abnormal", temperature=temperature, companion_of=companion_of)


@pytest.fixture
async def fever_week(store: RecordsStore, base: datetime) -> dict[str, str]:
    """Zhang's movements in Shijiazhuang and Tangshan ending in a fever at the market; Li's fever in Qiaoxi; Wang's in
    Tangshan; ordinary records around them."""
    stored = await store.add(
        record(ZHANG, 4201, since(base, -20 * 24 * 60)),
        record(ZHANG, 4201, since(base, -3 * 24 * 60)),
        record(ZHANG, 8001, since(base, -2 * 24 * 60)),
        record(ZHANG, 4301, since(base, -60)),
        fever(ZHANG, 4203, base),
        record(ZHANG, 4202, since(base, 60)),
        fever(LI, 4301, since(base, 30), 37.8),
        record(LI, 4301, since(base, 45)),
        fever(WANG, 8001, since(base, 90), 39.0),
    )
    return {
        "zhang": str(stored[4].id),
        "li": str(stored[6].id),
        "wang": str(stored[8].id),
        "li_passed": str(stored[7].id),
    }


@pytest.mark.usefixtures("fever_week")
class TestList:
    @pytest.mark.parametrize(
        ("region_id", "expected"),
        [(1, ["wang", "li", "zhang"]), (7, ["li", "zhang"]), (8, ["wang"]), (42, ["zhang"]), (89, ["zhang"]), (91, [])],
    )
    async def test_an_admin_sees_the_fevers_of_its_subtree_newest_first(
        self, client: httpx.AsyncClient, fever_week: dict[str, str], region_id: int, expected: list[str]
    ) -> None:
        page = await alerts(client, admin(region_id))
        assert [item["id"] for item in page["items"]] == [fever_week[name] for name in expected]
        assert {item["status"] for item in page["items"]} <= {"abnormal"}

    async def test_an_alert_is_masked_and_links_to_the_persons_visits(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        (item,) = (await alerts(client, admin(42)))["items"]
        assert item["person"] == {
            "person_id": str(ZHANG.resident_id),
            "name_masked": "张**",
            "phone_masked": "138****5678",
            "id_card_masked": f"130{'*' * 11}{ZHANG_ID[-4:]}",
        }
        assert (item["checkpoint_name"], item["temperature"], item["status_label"]) == ("育才菜市场", 38.2, "体温异常")
        assert item["visits_url"] == f"/api/trace/alerts/{fever_week['zhang']}/visits"

    async def test_pages_follow_the_records_cursor(self, client: httpx.AsyncClient) -> None:
        first = await alerts(client, admin(1), limit=2)
        second = await alerts(client, admin(1), limit=2, cursor=first["next_cursor"])
        assert (len(first["items"]), len(second["items"]), second["next_cursor"]) == (2, 1, None)

    async def test_a_region_outside_the_subtree_is_forbidden(self, client: httpx.AsyncClient) -> None:
        response = await client.get(ALERTS, params={"region_id": 43}, headers=admin(42))
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")


@pytest.mark.usefixtures("fever_week")
class TestVisits:
    async def test_the_persons_visits_of_the_fourteen_days_before_until_now_in_the_callers_scope(
        self, client: httpx.AsyncClient, fever_week: dict[str, str], base: datetime
    ) -> None:
        url = (await alerts(client, admin(1), region_id=42))["items"][0]["visits_url"]
        everywhere = await visits(client, admin(1), url)
        assert [visit["checkpoint_id"] for visit in everywhere["visits"]] == [4201, 8001, 4301, 4203, 4202]
        assert everywhere["from"] == (base - timedelta(days=14)).astimezone(BEIJING).isoformat()
        in_city = await visits(client, admin(7), url)
        assert [visit["checkpoint_id"] for visit in in_city["visits"]] == [4201, 4301, 4203, 4202]

    async def test_opening_them_is_logged_as_a_trajectory_lookup(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, fever_week: dict[str, str]
    ) -> None:
        await visits(client, admin(42), f"{ALERTS}/{fever_week['zhang']}/visits", reason="发热排查")
        (entry,) = await access_log.entries()
        assert (entry.action, entry.actor_region_id, entry.reason) == ("trajectory", 42, "发热排查")
        assert entry.query["alert_id"] == fever_week["zhang"]
        assert entry.query["id_card"] == f"130{'*' * 11}{ZHANG_ID[-4:]}"
        assert entry.subject == f"id_card:{PII.search_hash(ZHANG_ID)}"

    async def test_an_alert_of_someone_known_by_phone_alone_follows_the_phone(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        answer = await visits(client, admin(7), f"{ALERTS}/{fever_week['li']}/visits")
        assert [visit["id"] for visit in answer["visits"]] == [fever_week["li"], fever_week["li_passed"]]

    @pytest.mark.parametrize(("caller", "alert"), [(42, "li"), (7, "wang"), (91, "zhang"), (1, "li_passed")])
    async def test_an_alert_outside_the_subtree_or_no_alert_at_all_is_not_found(
        self, client: httpx.AsyncClient, access_log: AccessLogStore, fever_week: dict[str, str], caller: int, alert: str
    ) -> None:
        response = await client.get(f"{ALERTS}/{fever_week[alert]}/visits", headers=admin(caller))
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
        assert await access_log.entries() == []


async def test_a_companion_known_by_nothing_else_shows_the_alert_alone(
    client: httpx.AsyncClient, store: RecordsStore, base: datetime
) -> None:
    guardian = record(WANG, 4201, base)
    child = fever(CHILD, 4201, base, companion_of=guardian.id)
    await store.add(guardian, child, record(CHILD, 4202, since(base, 5)))
    answer = await visits(client, admin(7), f"{ALERTS}/{child.id}/visits")
    assert [visit["id"] for visit in answer["visits"]] == [str(child.id)]


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"from": "2026-11-20T00:00:00+08:00", "to": "2026-11-19T00:00:00+08:00"}, [("to", "period_order")]),
            ({"limit": 0}, [("limit", "greater_than_equal")]),
            ({"cursor": "not-a-cursor"}, [("cursor", "invalid")]),
            ({"region_id": 999}, [("region_id", "not_found")]),
        ],
    )
    async def test_each_bad_parameter_is_a_422_naming_it(
        self, client: httpx.AsyncClient, params: Json, expected: list[tuple[str, str]]
    ) -> None:
        assert field_errors(await client.get(ALERTS, params=params, headers=admin(1))) == expected

    async def test_an_unknown_alert_is_not_found_and_a_malformed_id_a_422(self, client: httpx.AsyncClient) -> None:
        unknown = await client.get(f"{ALERTS}/{uuid.uuid4()}/visits", headers=admin(1))
        assert unknown.status_code == 404
        assert field_errors(await client.get(f"{ALERTS}/nope/visits", headers=admin(1))) == [
            ("record_id", "uuid_parsing")
        ]

    async def test_only_admins_read_alerts(self, client: httpx.AsyncClient) -> None:
        response = await client.get(ALERTS, headers=bearer(ResidentPrincipal(uuid.uuid4())))
        assert response.status_code == 403


def handling_of(record_id: str) -> str:
    return f"{ALERTS}/{record_id}/handling"


class TestHandling:
    async def test_an_alert_is_handled_to_its_end_with_notes_who_and_when(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        zhang = fever_week["zhang"]
        started = await client.post(
            handling_of(zhang), json={"state": "handling", "note": "已电话联系，安排复测"}, headers=admin(42)
        )
        done = await client.post(
            handling_of(zhang), json={"state": "handled", "note": "复测 36.6℃，解除"}, headers=admin(7)
        )

        assert started.status_code == 200, started.text
        answer = done.json()
        assert (answer["state"], answer["state_label"]) == ("handled", "已处置")
        assert [(step["state_label"], step["note"], step["by_region_name"]) for step in answer["steps"]] == [
            ("处置中", "已电话联系，安排复测", "长安区"),
            ("已处置", "复测 36.6℃，解除", "石家庄市"),
        ]
        assert datetime.fromisoformat(answer["steps"][0]["at"]).utcoffset() == timedelta(hours=8)
        assert (await client.get(handling_of(zhang), headers=admin(42))).json() == answer

    async def test_the_list_shows_each_alerts_state_and_filters_by_it(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        await client.post(handling_of(fever_week["li"]), json={"state": "handled", "note": "误报"}, headers=admin(7))

        everything = await alerts(client, admin(7))
        handled = await alerts(client, admin(7), state="handled")
        pending = await alerts(client, admin(7), state="pending")

        assert [(item["id"], item["state_label"], item["state_note"]) for item in everything["items"]] == [
            (fever_week["li"], "已处置", "误报"),
            (fever_week["zhang"], "待处置", None),
        ]
        assert [item["id"] for item in handled["items"]] == [fever_week["li"]]
        assert [item["id"] for item in pending["items"]] == [fever_week["zhang"]]

    async def test_a_state_page_keeps_reading_until_it_is_full(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        await client.post(handling_of(fever_week["wang"]), json={"state": "handled"}, headers=admin(1))

        first = await alerts(client, admin(1), state="pending", limit=1)
        second = await alerts(client, admin(1), state="pending", limit=1, cursor=first["next_cursor"])

        assert [item["id"] for item in first["items"] + second["items"]] == [fever_week["li"], fever_week["zhang"]]

    @pytest.mark.parametrize(("caller", "name"), [(8, "zhang"), (43, "zhang"), (7, "li_passed")])
    async def test_another_regions_alert_or_a_record_without_fever_is_not_found(
        self, client: httpx.AsyncClient, fever_week: dict[str, str], caller: int, name: str
    ) -> None:
        response = await client.post(handling_of(fever_week[name]), json={"state": "handled"}, headers=admin(caller))
        read = await client.get(handling_of(fever_week[name]), headers=admin(caller))

        assert (response.status_code, read.status_code) == (404, 404)

    async def test_a_bad_state_or_a_long_note_is_a_field_problem(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        bad = await client.post(handling_of(fever_week["zhang"]), json={"state": "closed"}, headers=admin(42))
        long = await client.post(
            handling_of(fever_week["zhang"]), json={"state": "handled", "note": "长" * 501}, headers=admin(42)
        )

        assert [field for field, _ in field_errors(bad)] == ["state"]
        assert [field for field, _ in field_errors(long)] == ["note"]


def gate_keeper(region_id: int, *checkpoint_ids: int) -> dict[str, str]:
    return bearer(StaffPrincipal(uuid.uuid4(), region_id, REGIONS[region_id].path, checkpoint_ids))


def gate_report_of(record_id: str) -> str:
    return f"{ALERTS}/{record_id}/gate-report"


class TestGateReport:
    async def test_the_gate_keeper_sends_a_fever_to_the_regions_alerts_with_what_they_did(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        zhang = fever_week["zhang"]

        response = await client.post(
            gate_report_of(zhang), json={"note": "  已劝返，通知社区医生上门复测 "}, headers=gate_keeper(89, 4203)
        )

        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["state"], answer["state_label"]) == ("handling", "处置中")
        assert [(step["state_label"], step["note"]) for step in answer["steps"]] == [
            ("处置中", "已劝返，通知社区医生上门复测"),
        ]
        seen = (await client.get(handling_of(zhang), headers=admin(42))).json()
        assert [(step["note"], step["by_region_name"]) for step in seen["steps"]] == [
            ("已劝返，通知社区医生上门复测", "育才街道")
        ]
        listed = next(item for item in (await alerts(client, admin(42)))["items"] if item["id"] == zhang)
        assert (listed["state_label"], listed["state_note"]) == ("处置中", "已劝返，通知社区医生上门复测")

    @pytest.mark.parametrize(("checkpoints", "name"), [((4301,), "zhang"), ((4301,), "li_passed"), ((), "zhang")])
    async def test_another_checkpoints_record_or_one_without_fever_is_not_found(
        self, client: httpx.AsyncClient, fever_week: dict[str, str], checkpoints: tuple[int, ...], name: str
    ) -> None:
        response = await client.post(
            gate_report_of(fever_week[name]), json={"note": "已劝返"}, headers=gate_keeper(43, *checkpoints)
        )

        assert response.status_code == 404
        assert response.json()["detail"] == "未找到您执勤卡口的这条体温异常记录；刚登记的记录需几秒入库，请稍后再试"

    async def test_a_note_is_required_and_at_most_500_characters(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        for note in ("", "长" * 501):
            response = await client.post(
                gate_report_of(fever_week["zhang"]), json={"note": note}, headers=gate_keeper(89, 4203)
            )
            assert [field for field, _ in field_errors(response)] == ["note"]

    async def test_only_gate_keepers_report_and_only_with_a_token(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        path = gate_report_of(fever_week["zhang"])
        for headers in (admin(42), bearer(ResidentPrincipal(uuid.uuid4()))):
            assert (await client.post(path, json={"note": "已劝返"}, headers=headers)).status_code == 403
        assert (await client.post(path, json={"note": "已劝返"})).status_code == 401


GATE_REPORTS = f"{ALERTS}/gate-reports/search"


class TestGateReportSearch:
    async def test_the_board_learns_which_fevers_were_reported_and_how_they_stand(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        zhang, li = fever_week["zhang"], fever_week["li"]
        await client.post(gate_report_of(zhang), json={"note": "已劝返"}, headers=gate_keeper(89, 4203))

        response = await client.post(GATE_REPORTS, json={"record_ids": [zhang, li]}, headers=gate_keeper(89, 4203))

        assert response.status_code == 200, response.text
        assert [(item["record_id"], item["state_label"], item["note"]) for item in response.json()["items"]] == [
            (zhang, "处置中", "已劝返")
        ]

    async def test_another_checkpoints_report_is_left_out(
        self, client: httpx.AsyncClient, fever_week: dict[str, str]
    ) -> None:
        zhang = fever_week["zhang"]
        await client.post(gate_report_of(zhang), json={"note": "已劝返"}, headers=gate_keeper(89, 4203))

        for keeper in (gate_keeper(43, 4301), gate_keeper(43)):
            response = await client.post(GATE_REPORTS, json={"record_ids": [zhang]}, headers=keeper)
            assert response.json() == {"items": []}

    async def test_only_gate_keepers_ask(self, client: httpx.AsyncClient, fever_week: dict[str, str]) -> None:
        body = {"record_ids": [fever_week["zhang"]]}
        assert (await client.post(GATE_REPORTS, json=body, headers=admin(42))).status_code == 403
        assert (await client.post(GATE_REPORTS, json=body)).status_code == 401
