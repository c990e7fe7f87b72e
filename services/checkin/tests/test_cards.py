"""Personal codes (个人码) at the gate: a scanned card names the visitor; the keeper measures and confirms."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.common.cards import PersonalCards
from lianfang.common.forms import PersonalData
from lianfang.common.settings import DEV_PII_KEY

from .conftest import FakeRegistry
from .support import (
    GATE,
    PII,
    Published,
    checkpoint_config,
    decrypted,
    field_errors,
    id_card,
    resident,
    seed,
    staff,
)

pytestmark = pytest.mark.usefixtures("backend")

# Two gates of the same street, each with its own keeper.
EAST = checkpoint_config(id=515, code="EAST2345", name="育才小区东门")
WEST = checkpoint_config(id=516, code="WEST2345", name="育才小区西门")
STAFF = "/api/checkin/staff"
CARDS = PersonalCards(DEV_PII_KEY)
NUMBER = id_card("13010219450101001")
GRANDPA = PersonalData(name="赵大爷", phone="13700000007", id_card=NUMBER)


def resolve(checkpoint_id: int) -> str:
    return f"{STAFF}/checkpoints/{checkpoint_id}/cards/resolve"


def by_hand(checkpoint_id: int) -> str:
    return f"{STAFF}/checkpoints/{checkpoint_id}/checkins"


def by_card(card: str, temperature: float = 36.5) -> dict[str, object]:
    return {"client_id": str(uuid.uuid4()), "card": card, "temperature": temperature}


def forged() -> str:
    """A card made as ours are, with a key the servers do not hold."""
    return PersonalCards("forger:" + base64.urlsafe_b64encode(b"f" * 32).decode()).issue(GRANDPA)


@pytest.fixture(autouse=True)
async def gates(cache: Redis, registry: FakeRegistry) -> None:
    registry.add(EAST, WEST)
    await seed(cache, EAST, WEST)


class TestResolve:
    async def test_the_keeper_sees_who_the_card_names_masked(self, client: httpx.AsyncClient) -> None:
        response = await client.post(resolve(EAST.id), json={"card": CARDS.issue(GRANDPA)}, headers=staff(EAST.id))

        assert response.status_code == 200, response.text
        assert response.json() == {
            "name_masked": "赵**",
            "phone_masked": "137****0007",
            "id_card_masked": f"130{'*' * 11}{NUMBER[-4:]}",
        }

    async def test_a_card_names_a_person_not_a_gate(self, client: httpx.AsyncClient) -> None:
        card = CARDS.issue(GRANDPA)

        east = await client.post(resolve(EAST.id), json={"card": card}, headers=staff(EAST.id))
        west = await client.post(resolve(WEST.id), json={"card": card}, headers=staff(WEST.id))

        assert east.status_code == west.status_code == 200
        assert east.json() == west.json()

    @pytest.mark.parametrize(
        "scanned",
        [
            pytest.param(forged(), id="forged"),
            pytest.param(CARDS.issue(GRANDPA)[:-6], id="cut short"),
            pytest.param(f"https://lianfang.example/c/{GATE.code}", id="a checkpoint's poster"),
        ],
    )
    async def test_anything_else_is_refused_in_words(self, client: httpx.AsyncClient, scanned: str) -> None:
        response = await client.post(resolve(EAST.id), json={"card": scanned}, headers=staff(EAST.id))

        assert field_errors(response) == [
            {
                "field": "card",
                "message": "这不是有效的联防个人码（可能已损坏或被伪造），请手工登记",
                "code": "card_unreadable",
            }
        ]
        assert response.json()["detail"] == "无法识别的个人码"

    async def test_residents_cannot_read_cards(self, client: httpx.AsyncClient) -> None:
        response = await client.post(resolve(EAST.id), json={"card": CARDS.issue(GRANDPA)}, headers=resident())

        assert (response.status_code, response.json()["detail"]) == (403, "仅卡口执勤人员可以执行此操作")

    async def test_only_at_the_callers_checkpoints(self, client: httpx.AsyncClient) -> None:
        response = await client.post(resolve(WEST.id), json={"card": CARDS.issue(GRANDPA)}, headers=staff(EAST.id))

        assert (response.status_code, response.json()["code"]) == (403, "not_on_duty")

    async def test_an_unknown_checkpoint_is_a_404(self, client: httpx.AsyncClient) -> None:
        response = await client.post(resolve(999), json={"card": CARDS.issue(GRANDPA)}, headers=staff(999))

        assert (response.status_code, response.json()["code"]) == (404, "checkpoint_not_found")


class TestCheckinByCard:
    async def test_the_card_and_a_temperature_make_a_hand_entry(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        keeper = uuid.uuid4()

        response = await client.post(
            by_hand(WEST.id), json=by_card(CARDS.issue(GRANDPA)), headers=staff(WEST.id, staff_id=keeper)
        )

        assert response.status_code == 201, response.text
        receipt = response.json()
        assert (receipt["status"], receipt["name_masked"], receipt["temperature"]["value"]) == ("passed", "赵**", 36.5)
        (event,) = await published.created()
        assert (event.resident_id, event.entered_by, event.checkpoint_id) == (None, keeper, WEST.id)
        assert decrypted(event.person.name_encrypted) == "赵大爷"
        assert (event.person.id_card_hash, event.person.phone_hash) == (
            PII.search_hash(NUMBER),
            PII.search_hash("13700000007"),
        )

    async def test_the_person_is_their_id_number_however_they_were_registered(self, client: httpx.AsyncClient) -> None:
        """A fever measured on a card's check-in warns when the same ID number is typed at another gate."""
        await client.post(by_hand(EAST.id), json=by_card(CARDS.issue(GRANDPA), 38.1), headers=staff(EAST.id))

        typed = await client.post(
            by_hand(WEST.id),
            json={"client_id": str(uuid.uuid4()), "id_card": NUMBER, "temperature": 36.6},
            headers=staff(WEST.id),
        )
        arrivals = await client.get(f"{STAFF}/checkpoints/{WEST.id}/arrivals", headers=staff(WEST.id))

        assert typed.status_code == 201, typed.text
        assert typed.json()["name_masked"] is None
        assert [[warning["code"] for warning in item["warnings"]] for item in arrivals.json()["items"]] == [
            ["recent_fever"]
        ]

    async def test_a_forged_card_stores_nothing(self, client: httpx.AsyncClient, published: Published) -> None:
        response = await client.post(by_hand(EAST.id), json=by_card(forged()), headers=staff(EAST.id))

        assert [(error["field"], error["code"]) for error in field_errors(response)] == [("card", "card_unreadable")]
        await published.nothing()

    async def test_a_card_is_not_mixed_with_typed_details(self, client: httpx.AsyncClient) -> None:
        body = by_card(CARDS.issue(GRANDPA)) | {"name": "钱"}

        response = await client.post(by_hand(EAST.id), json=body, headers=staff(EAST.id))

        assert field_errors(response) == [
            {"field": "card", "message": "扫个人码登记时无需再填写姓名、手机号或身份证号", "code": "invalid"}
        ]

    async def test_a_phone_alone_still_needs_the_name(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            by_hand(EAST.id),
            json={"client_id": str(uuid.uuid4()), "phone": "13700000007", "temperature": 36.6},
            headers=staff(EAST.id),
        )

        assert field_errors(response) == [
            {"field": "name", "message": "请填写姓名（有身份证号时可不填）", "code": "missing"}
        ]
