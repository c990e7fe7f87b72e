from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.beijing import BEIJING
from lianfang.common.testing import bearer

from .conftest import AccessLogStore, RecordsStore
from .support import FakeRegistry, Json, Person, admin, field_errors, id_card, principal, record, since

pytestmark = pytest.mark.usefixtures("backend")

ZHANG_ID = id_card(21)
ZHANG = Person("张三丰", "13812345678", ZHANG_ID, uuid.uuid4())
VISIT = {
    "patient": "张三丰",
    "mobile": "13812345678",
    "contact_phone": "13700001234",
    "department": "发热门诊",
    "plate": "冀A12345",
    "purpose": "复诊，取化验单",
}


def url(record_id: object) -> str:
    return f"/api/trace/records/{record_id}"


async def detail(client: httpx.AsyncClient, record_id: object, headers: dict[str, str], **params: str) -> Json:
    response = await client.get(url(record_id), params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def answers_of(body: Json) -> list[tuple[str, str, bool]]:
    return [(answer["label"], answer["value"], answer["masked"]) for answer in body["answers"]]


class TestAnswers:
    async def test_every_answer_shows_under_its_label_personal_ones_masked(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base, form=(2, 1), answers=VISIT))
        body = await detail(client, stored.id, admin(43))
        assert answers_of(body) == [
            ("姓名", "张**", True),
            ("手机号", "138****5678", True),
            ("紧急联系人电话", "137****1234", True),
            ("就诊科室", "发热门诊", False),
            ("车牌号", "冀A12345", False),
            ("来访事由", "复诊，取化验单", False),
        ]
        assert (body["template_id"], body["template_version"], body["template_name"]) == (2, 1, "医院")
        assert body["checkpoint_name"] == "桥西区人民医院"
        assert body["checked_at"] == base.astimezone(BEIJING).isoformat()
        assert body["unmasked"] is None
        assert body["person"]["phone_masked"] == "138****5678"

    async def test_answers_are_labelled_by_the_version_the_person_filled(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        answers = {"name": "张三丰", "phone": "13812345678", "purpose": "探亲", "resident": False}
        old, new = await store.add(
            record(ZHANG, 4201, base), record(ZHANG, 4201, since(base, 5), form=(1, 2), answers=answers)
        )
        assert [label for label, _, _ in answers_of(await detail(client, old.id, admin(42)))] == [
            "姓名",
            "手机号",
            "身份证号",
        ]
        assert answers_of(await detail(client, new.id, admin(42))) == [
            ("姓名", "张**", True),
            ("手机号", "138****5678", True),
            ("来访事由", "探亲", False),
            ("是否本小区居民", "否", False),
        ]

    async def test_without_the_registry_the_answers_show_under_their_keys(
        self, client: httpx.AsyncClient, store: RecordsStore, registry: FakeRegistry, base: datetime
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base, form=(2, 1), answers=VISIT))
        registry.down = True
        body = await detail(client, stored.id, admin(43))
        assert ("purpose", "复诊，取化验单", False) in answers_of(body)
        assert (body["template_name"], body["checkpoint_name"]) == (None, None)


class TestRemeasure:
    async def test_both_temperatures_show_with_who_took_the_second_and_when(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        """复测 after a fever: the list and the detail show the first reading and the later one that decided."""
        fever = record(ZHANG, 4301, base, temperature=38.2)
        fever.remeasured_temperature = 36.6
        fever.remeasured_by = uuid.uuid4()
        fever.remeasured_by_name = "王卫"
        fever.remeasured_at = base + timedelta(minutes=3)
        (stored,) = await store.add(fever)

        body = await detail(client, stored.id, admin(43))
        listed = await client.get("/api/trace/records", headers=admin(43))

        remeasure = {
            "temperature": 36.6,
            "measured_by_name": "王卫",
            "measured_at": (base + timedelta(minutes=3)).astimezone(BEIJING).isoformat(),
        }
        assert (body["status"], body["temperature"], body["remeasure"]) == ("passed", 38.2, remeasure)
        (item,) = listed.json()["items"]
        assert (item["temperature"], item["remeasure"]) == (38.2, remeasure)

    async def test_a_record_measured_once_has_no_remeasure(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base))
        assert (await detail(client, stored.id, admin(43)))["remeasure"] is None


class TestUnmask:
    async def test_a_reason_shows_everything_in_full_and_is_logged_first(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base, form=(2, 1), answers=VISIT))
        caller = principal(43)
        body = await detail(client, stored.id, bearer(caller), unmask="true", reason="流调核实")
        assert body["unmasked"] == {"name": "张三丰", "phone": "13812345678", "id_card": ZHANG_ID}
        assert ("紧急联系人电话", "13700001234", False) in answers_of(body)
        (entry,) = await access_log.entries()
        assert (entry.actor_id, entry.action, entry.reason) == (caller.id, "unmask", "流调核实")
        assert entry.query == {"record_id": str(stored.id)}
        assert str(entry.subject).startswith("id_card:")

    @pytest.mark.parametrize("reason", [None, "  "])
    async def test_unmasking_needs_a_reason(
        self,
        client: httpx.AsyncClient,
        store: RecordsStore,
        access_log: AccessLogStore,
        base: datetime,
        reason: str | None,
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base))
        params = {"unmask": "true"} | ({"reason": reason} if reason is not None else {})
        response = await client.get(url(stored.id), params=params, headers=admin(43))
        assert field_errors(response) == [("reason", "missing")]
        assert await access_log.entries() == []

    async def test_a_masked_look_is_not_logged(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base))
        await detail(client, stored.id, admin(43))
        assert await access_log.entries() == []


class TestScope:
    @pytest.mark.parametrize("caller", [42, 8, 89])
    async def test_a_record_outside_the_subtree_is_not_found_and_not_logged(
        self, client: httpx.AsyncClient, store: RecordsStore, access_log: AccessLogStore, base: datetime, caller: int
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base))
        response = await client.get(url(stored.id), params={"unmask": "true", "reason": "核实"}, headers=admin(caller))
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
        assert await access_log.entries() == []

    @pytest.mark.parametrize("caller", [1, 7, 43])
    async def test_every_admin_above_sees_it(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime, caller: int
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base))
        assert (await detail(client, stored.id, admin(caller)))["id"] == str(stored.id)

    async def test_an_unknown_record_is_not_found(self, client: httpx.AsyncClient) -> None:
        response = await client.get(url(uuid.uuid4()), headers=admin(1))
        assert response.status_code == 404

    async def test_only_admins_read_a_record(
        self, client: httpx.AsyncClient, store: RecordsStore, base: datetime
    ) -> None:
        (stored,) = await store.add(record(ZHANG, 4301, base))
        resident = await client.get(url(stored.id), headers=bearer(ResidentPrincipal(uuid.uuid4())))
        assert resident.status_code == 403
