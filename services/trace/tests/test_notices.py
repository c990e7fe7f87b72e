"""风险告知: an official confirms the contacts screening found and the "请联系 …" text; the notice goes to those who
have a WeChat account and subscribed, the answer counts the others, and the access log keeps who confirmed it, when."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from lianfang.common.auth import ResidentPrincipal, StaffPrincipal
from lianfang.common.contracts.records import Record
from lianfang.common.testing import bearer

from .conftest import AccessLogStore, RecordsStore
from .support import REGIONS, FakeGateway, Person, field_errors, id_card, principal, record, since

pytestmark = pytest.mark.usefixtures("backend")

NOTICES = "/api/trace/contacts/notices"
TEXT = "请联系建明社区 0311-8888"
AN = Person("安小红", "13900000001", id_card(32), uuid.uuid4())  # subscribed
BAI = Person("白大伟", "13900000002", id_card(33), uuid.uuid4())  # an account, no subscription
QIAN = Person("钱多多", "13900000009", resident_id=uuid.uuid4())
MING = Person("小明", "13900000009")  # Qian's child: a companion, no account of his own
CAO = Person("曹一鸣", "13900000003", id_card(34))  # entered by hand at the gate: no account
EN = Person("恩佳", "13900000005", id_card(36), uuid.uuid4())  # in Tangshan, outside Chang'an


@pytest.fixture
async def contacts(store: RecordsStore, base: datetime, gateway: FakeGateway) -> dict[str, Record]:
    gateway.subscribed = {AN.resident_id} if AN.resident_id else set()
    gateway.accounts = {BAI.resident_id} if BAI.resident_id else set()
    qian = record(QIAN, 4201, since(base, 1))
    made = {
        "an": record(AN, 4201, since(base, 5)),
        "bai": record(BAI, 4201, since(base, -20)),
        "ming": record(MING, 4201, since(base, 1), companion_of=qian.id, resident_id=QIAN.resident_id),
        "cao": record(CAO, 4201, since(base, 40)),
        "en": record(EN, 8001, since(base, 0)),
    }
    await store.add(qian, *made.values())
    return made


def notice(*rows: Record, text: str = TEXT, confirmed: bool = True) -> dict[str, object]:
    return {"record_ids": [str(row.id) for row in rows], "text": text, "confirmed": confirmed}


class TestRiskNotice:
    async def test_sent_to_the_subscribed_and_the_others_counted(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], gateway: FakeGateway
    ) -> None:
        official = bearer(principal(42))
        chosen = [contacts[name] for name in ("an", "bai", "ming", "cao")]

        response = await client.post(NOTICES, json=notice(*chosen), headers=official)

        assert response.status_code == 201, response.text
        answer = response.json()
        assert {key: answer[key] for key in ("recipients", "sent", "not_subscribed", "no_account", "failed")} == {
            "recipients": 4,
            "sent": 1,
            "not_subscribed": 1,
            "no_account": 2,
            "failed": 0,
        }
        ((body, authorization),) = gateway.asked
        assert body["resident_ids"] == [str(AN.resident_id), str(BAI.resident_id)]
        assert (body["text"], body["region_name"]) == (TEXT, REGIONS[42].name)
        assert authorization == official["Authorization"]

    async def test_the_access_log_keeps_who_confirmed_it_and_when(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], access_log: AccessLogStore
    ) -> None:
        official = principal(42)
        chosen = [contacts["an"], contacts["cao"]]

        response = await client.post(NOTICES, json=notice(*chosen) | {"reason": "密接告知"}, headers=bearer(official))

        (entry,) = await access_log.entries()
        assert (entry.action, entry.actor_id, entry.reason) == ("risk_notice", official.id, "密接告知")
        assert entry.query == {"record_ids": [str(row.id) for row in chosen], "text": TEXT}
        confirmed_at = datetime.fromisoformat(response.json()["confirmed_at"])
        assert abs(entry.at.replace(tzinfo=confirmed_at.tzinfo) - confirmed_at) < timedelta(seconds=5)
        assert response.json()["confirmed_by"] == str(official.id)
        listed = (await client.get("/api/trace/audit-log", headers=bearer(principal(7)))).json()["items"]
        assert [(item["action_label"], item["actor_id"]) for item in listed] == [("风险告知", str(official.id))]

    async def test_without_the_officials_confirmation_nothing_is_sent(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], gateway: FakeGateway, access_log: AccessLogStore
    ) -> None:
        unconfirmed = await client.post(
            NOTICES, json=notice(contacts["an"], confirmed=False), headers=bearer(principal(42))
        )
        body = notice(contacts["an"])
        del body["confirmed"]
        silent = await client.post(NOTICES, json=body, headers=bearer(principal(42)))

        assert field_errors(unconfirmed) == [("confirmed", "confirmation_required")]
        assert field_errors(silent) == [("confirmed", "confirmation_required")]
        assert gateway.asked == []
        assert await access_log.entries() == []

    async def test_another_regions_contacts_are_refused(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], gateway: FakeGateway, access_log: AccessLogStore
    ) -> None:
        response = await client.post(
            NOTICES, json=notice(contacts["an"], contacts["en"]), headers=bearer(principal(42))
        )
        unknown = await client.post(
            NOTICES, json={**notice(contacts["an"]), "record_ids": [str(uuid.uuid4())]}, headers=bearer(principal(42))
        )

        assert (response.status_code, unknown.status_code) == (403, 403)
        assert response.json()["detail"] == "所选人员中有不在您管辖范围内的记录"
        assert gateway.asked == []
        assert await access_log.entries() == []

    async def test_the_province_reaches_both_cities(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], gateway: FakeGateway
    ) -> None:
        response = await client.post(NOTICES, json=notice(contacts["an"], contacts["en"]), headers=bearer(principal(1)))

        assert response.status_code == 201, response.text
        ((body, _),) = gateway.asked
        assert set(body["resident_ids"]) == {str(AN.resident_id), str(EN.resident_id)}

    async def test_only_officials_send_notices(self, client: httpx.AsyncClient, contacts: dict[str, Record]) -> None:
        keeper = bearer(StaffPrincipal(uuid.uuid4(), 91, REGIONS[91].path, (4201,)))
        by_staff = await client.post(NOTICES, json=notice(contacts["an"]), headers=keeper)
        by_resident = await client.post(
            NOTICES, json=notice(contacts["an"]), headers=bearer(ResidentPrincipal(uuid.uuid4()))
        )

        assert (by_staff.status_code, by_resident.status_code) == (403, 403)

    @pytest.mark.parametrize("text", ["请联系" + "建明社区居委会" * 3, "   "])
    async def test_the_text_must_fit_a_wechat_message(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], text: str
    ) -> None:
        response = await client.post(NOTICES, json=notice(contacts["an"], text=text), headers=bearer(principal(42)))

        assert [field for field, _ in field_errors(response)] == ["text"]

    async def test_nobody_with_an_account_asks_nothing_of_the_gateway(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], gateway: FakeGateway
    ) -> None:
        response = await client.post(
            NOTICES, json=notice(contacts["ming"], contacts["cao"]), headers=bearer(principal(42))
        )

        assert (response.json()["no_account"], response.json()["sent"]) == (2, 0)
        assert gateway.asked == []

    async def test_a_gateway_that_cannot_answer_is_a_503_and_the_notice_stays_logged(
        self, client: httpx.AsyncClient, contacts: dict[str, Record], gateway: FakeGateway, access_log: AccessLogStore
    ) -> None:
        gateway.down = True

        response = await client.post(NOTICES, json=notice(contacts["an"]), headers=bearer(principal(42)))

        assert response.status_code == 503
        assert "Retry-After" in response.headers
        assert [entry.action for entry in await access_log.entries()] == ["risk_notice"]
