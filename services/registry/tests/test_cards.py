"""Personal codes (个人码): printed by gate staff or administrators, read back by the check-in service at any gate."""

from __future__ import annotations

import uuid

import httpx
import pytest
from stdnum.cn import ric

from lianfang.common.auth import ResidentPrincipal, StaffPrincipal
from lianfang.common.cards import PersonalCards
from lianfang.common.forms import PersonalData
from lianfang.common.settings import DEV_PII_KEY
from lianfang.common.testing import bearer
from lianfang.registry.posters import qr_svg

from .test_regions import PROVINCE_ADMIN

pytestmark = pytest.mark.usefixtures("backend")

CARDS = "/api/registry/cards"
NUMBER = "13010219450101001" + str(ric.calc_check_digit("130102194501010010"))
KEEPER = bearer(StaffPrincipal(uuid.uuid4(), 7, "/1/7/", (101,)))


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each printed QR holds."""
    seen: list[str] = []

    def recording(card: str) -> bytes:
        seen.append(card)
        return qr_svg(card)

    monkeypatch.setattr("lianfang.registry.cards.render.qr_svg", recording)
    return seen


class TestIssue:
    @pytest.mark.parametrize(
        "issuer", [pytest.param(KEEPER, id="gate staff"), pytest.param(PROVINCE_ADMIN, id="admin")]
    )
    async def test_a_printable_card_with_the_code_and_the_masked_name(
        self, client: httpx.AsyncClient, printed: list[str], issuer: dict[str, str]
    ) -> None:
        body = {"name": "赵大爷", "phone": "137 0000 0007", "id_card": NUMBER.lower()}

        response = await client.post(CARDS, json=body, headers=issuer)

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"
        page = response.text
        assert "持卡人：赵**" in page
        assert "@page { size: A6" in page
        assert "<svg" in page
        for personal in ("赵大爷", NUMBER, "13700000007"):
            assert personal not in page
        (card,) = printed
        assert PersonalCards(DEV_PII_KEY).read(card) == PersonalData(name="赵大爷", phone="13700000007", id_card=NUMBER)

    async def test_printed_again_it_is_a_new_card_for_the_same_person(
        self, client: httpx.AsyncClient, printed: list[str]
    ) -> None:
        body = {"name": "赵大爷", "id_card": NUMBER}

        for _ in range(2):
            await client.post(CARDS, json=body, headers=KEEPER)

        first, second = printed
        assert first != second
        assert PersonalCards(DEV_PII_KEY).read(first) == PersonalCards(DEV_PII_KEY).read(second)

    async def test_each_bad_field_is_named(self, client: httpx.AsyncClient, printed: list[str]) -> None:
        response = await client.post(CARDS, json={"name": "", "phone": "123"}, headers=KEEPER)

        assert response.status_code == 422
        assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
            ("name", "missing"),
            ("phone", "invalid"),
        ]
        assert printed == []

    async def test_a_phone_or_an_id_number_is_required(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CARDS, json={"name": "赵大爷"}, headers=KEEPER)

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "phone", "message": "请填写手机号或身份证号（至少一项）", "code": "missing"}
        ]

    async def test_residents_cannot_print_cards(self, client: httpx.AsyncClient, printed: list[str]) -> None:
        response = await client.post(
            CARDS, json={"name": "赵大爷", "id_card": NUMBER}, headers=bearer(ResidentPrincipal(uuid.uuid4()))
        )

        assert (response.status_code, response.json()["detail"]) == (403, "仅工作人员可以执行此操作")
        assert printed == []

    async def test_nobody_unsigned(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CARDS, json={"name": "赵大爷", "id_card": NUMBER})

        assert response.status_code == 401
