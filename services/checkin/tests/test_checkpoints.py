from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.common.contracts.checkpoints import CheckpointConfig, config_key
from lianfang.common.forms import FieldType, FormDefinition, FormField

from .conftest import FakeRegistry, Serve, checkin_settings
from .support import (
    CHECKINS,
    GATE,
    HOSPITAL_GATE,
    Json,
    admin,
    gate_answers,
    hospital_answers,
    id_card,
    resident,
    seed,
    staff,
)

pytestmark = pytest.mark.usefixtures("backend")


def page_of(code: str) -> str:
    return f"/api/checkin/checkpoints/{code}"


async def opened(client: httpx.AsyncClient, code: str = GATE.code, headers: dict[str, str] | None = None) -> Json:
    response = await client.get(page_of(code), headers=headers)
    assert response.status_code == 200, response.text
    page: Json = response.json()
    return page


async def check_in(client: httpx.AsyncClient, headers: dict[str, str], code: str = GATE.code, **more: object) -> Json:
    answers = hospital_answers() if code == HOSPITAL_GATE.code else gate_answers()
    values = {"checkpoint_code": code, "client_id": str(uuid.uuid4()), "answers": answers, "temperature": 36.6}
    response = await client.post(CHECKINS, json=values | more, headers=headers)
    assert response.status_code == 201, response.text
    receipt: Json = response.json()
    return receipt


class TestForEveryone:
    async def test_the_checkpoint_and_its_form(self, client: httpx.AsyncClient) -> None:
        page = await opened(client)

        assert page["checkpoint"] == {
            "id": 101,
            "code": "GATE2345",
            "name": "育才小区东门",
            "kind": "community",
            "kind_label": "小区/社区",
            "region_names": ["河北省", "石家庄市", "长安区", "育才街道"],
            "address": "育才街 1 号",
            "active": True,
            "requires_audit": False,
            "temp_valid_minutes": 240,
            "fever_threshold": 37.3,
        }
        assert [field["key"] for field in page["form"]["fields"]] == ["name", "phone", "address", "is_resident"]
        assert (page["form"]["template_id"], page["form"]["template_version"]) == (1, 1)
        assert (page["prefill"], page["companions"], page["temperature"], page["notices"]) == (
            {},
            [],
            {"required": True, "last": None},
            [],
        )

    async def test_codes_are_read_in_any_case(self, client: httpx.AsyncClient) -> None:
        assert (await opened(client, "gate2345"))["checkpoint"]["code"] == "GATE2345"

    async def test_a_closed_checkpoint_says_so(self, client: httpx.AsyncClient, cache: Redis) -> None:
        await seed(cache, GATE.model_copy(update={"code": "SHUT2345", "active": False}))

        page = await opened(client, "SHUT2345")

        assert page["notices"] == [
            {"code": "checkpoint_closed", "level": "error", "message": "该卡口已停用，暂不能登记"}
        ]

    @pytest.mark.parametrize("code", ["NOPE2345", "no such code!", "A" * 40])
    async def test_an_unknown_code_is_a_404_problem(self, client: httpx.AsyncClient, code: str) -> None:
        response = await client.get(page_of(code))

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "checkpoint_not_found"

    async def test_a_token_that_does_not_verify_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.get(page_of(GATE.code), headers={"Authorization": "Bearer not-a-token"})

        assert response.status_code == 401

    async def test_staff_see_the_page_without_anyones_prefill(self, client: httpx.AsyncClient) -> None:
        for headers in (staff(GATE.id), admin()):
            page = await opened(client, headers=headers)
            assert (page["prefill"], page["temperature"]["required"]) == ({}, True)


class TestForAResident:
    async def test_the_last_answers_per_field_prefill_any_form(self, client: httpx.AsyncClient) -> None:
        person = resident()
        number = id_card("13010219800101123")
        await check_in(client, person, HOSPITAL_GATE.code, answers=hospital_answers("王五", "13900000002", number))
        await check_in(client, person, answers=gate_answers("王五", phone="13900000003"))

        at_hospital = await opened(client, HOSPITAL_GATE.code, person)
        at_gate = await opened(client, GATE.code, person)

        assert at_hospital["prefill"] == {
            "name": "王五",
            "phone": "13900000003",
            "id_card": number,
            "department": "内科",
            "travel_history": "无中高风险地区旅居史",
        }
        assert at_gate["prefill"] == gate_answers("王五", phone="13900000003")

    async def test_answers_the_form_no_longer_accepts_are_left_out(
        self, client: httpx.AsyncClient, cache: Redis
    ) -> None:
        person = resident()
        await check_in(client, person)
        narrower = FormDefinition(
            fields=(
                FormField(key="name", label="姓名", type=FieldType.name, required=True),
                FormField(key="address", label="住址", type=FieldType.address, max_length=3),
            )
        )
        await seed(cache, GATE.model_copy(update={"code": "NARR2345", "form": narrower}))

        page = await opened(client, "NARR2345", person)

        assert page["prefill"] == {"name": "张三"}

    async def test_last_companions_are_offered_again(self, client: httpx.AsyncClient) -> None:
        person = resident()
        children = [{"answers": gate_answers("李小明"), "temperature": 36.5}]
        await check_in(client, person, companions=children)

        page = await opened(client, GATE.code, person)

        assert page["companions"] == [gate_answers("李小明")]

    async def test_a_valid_temperature_says_until_when(self, client: httpx.AsyncClient) -> None:
        person = resident()
        receipt = await check_in(client, person, temperature=36.7)

        page = await opened(client, GATE.code, person)

        measured = datetime.fromisoformat(receipt["checked_at"])
        last = page["temperature"]["last"]
        assert page["temperature"]["required"] is False
        assert (last["value"], datetime.fromisoformat(last["measured_at"])) == (36.7, measured)
        assert datetime.fromisoformat(last["valid_until"]) == measured + timedelta(minutes=240)

    async def test_a_recent_fever_anywhere_is_a_notice(self, client: httpx.AsyncClient) -> None:
        person = resident()
        await check_in(client, person, HOSPITAL_GATE.code, temperature=38.1)

        page = await opened(client, GATE.code, person)

        (notice,) = page["notices"]
        assert (notice["code"], notice["level"]) == ("recent_fever", "warning")
        assert "在唐山市人民医院门诊测得体温 38.1 ℃，14 天内请主动向卡口工作人员说明" in notice["message"]

    async def test_nothing_of_another_resident(self, client: httpx.AsyncClient) -> None:
        await check_in(client, resident())

        page = await opened(client, GATE.code, resident())

        assert (page["prefill"], page["temperature"]["required"]) == ({}, True)


class TestWhereConfigsComeFrom:
    async def test_a_config_missing_in_redis_comes_from_the_registry_once(
        self, client: httpx.AsyncClient, registry: FakeRegistry, cache: Redis
    ) -> None:
        fresh = GATE.model_copy(update={"id": 404, "code": "NEWW2345", "name": "新建卡口"})
        registry.add(fresh)

        first = await opened(client, "NEWW2345")
        again = await opened(client, "NEWW2345")
        checked_in = await check_in(client, resident(), "NEWW2345")

        assert first["checkpoint"]["name"] == again["checkpoint"]["name"] == "新建卡口"
        assert checked_in["checkpoint"]["code"] == "NEWW2345"
        assert registry.asked == ["/api/registry/internal/checkpoints/NEWW2345/config"]
        stored = await cache.get(config_key("NEWW2345"))
        assert stored is not None
        assert CheckpointConfig.model_validate_json(stored) == fresh

    async def test_the_registry_unreachable_is_a_503(self, client: httpx.AsyncClient, registry: FakeRegistry) -> None:
        registry.down = True

        response = await client.get(page_of("NEWW2345"))

        assert response.status_code == 503
        assert (response.json()["code"], response.headers["retry-after"]) == ("registry_unavailable", "5")

    async def test_configs_redis_has_are_not_asked_of_the_registry(
        self, client: httpx.AsyncClient, registry: FakeRegistry
    ) -> None:
        await opened(client)
        await check_in(client, resident())

        assert registry.asked == []

    async def test_a_change_the_registry_publishes_shows_after_the_cache_expires(
        self, redis_url: str, broker_url: str, start: Serve, cache: Redis
    ) -> None:
        await seed(cache, GATE)
        async with start(checkin_settings(redis_url, broker_url, config_cache_seconds=0)) as running:
            before = await opened(running.client)
            await seed(cache, GATE.model_copy(update={"name": "育才小区东门（临时）"}))
            after = await opened(running.client)

        assert (before["checkpoint"]["name"], after["checkpoint"]["name"]) == ("育才小区东门", "育才小区东门（临时）")

    async def test_without_redis_the_page_opens_from_the_registry_without_prefill(
        self, broker_url: str, start: Serve, registry: FakeRegistry
    ) -> None:
        registry.add(GATE)
        no_redis = checkin_settings("redis://127.0.0.1:1/0", broker_url, redis_timeout_seconds=0.2)
        async with start(no_redis) as running:
            page = await opened(running.client, GATE.code, resident())

        assert page["checkpoint"]["code"] == GATE.code
        assert (page["prefill"], page["temperature"]) == ({}, {"required": True, "last": None})


class TestShell:
    """The HTML nginx's SSI puts into the check-in page, so the checkpoint shows before any script has run."""

    async def test_names_the_checkpoint_and_its_region_and_carries_the_anonymous_page(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(f"{page_of(GATE.code)}/shell")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        assert "<h1>育才小区东门</h1>" in response.text
        assert "河北省 › 石家庄市 › 长安区 › 育才街道" in response.text
        assert "小区/社区 · 扫码登记" in response.text
        data = re.search(r'<script type="application/json" id="lf-checkpoint-page">(.*?)</script>', response.text)
        assert data is not None
        assert json.loads(data[1])["page"] == await opened(client)

    async def test_markup_in_a_name_stays_text(
        self, client: httpx.AsyncClient, cache: Redis, registry: FakeRegistry
    ) -> None:
        hostile = GATE.model_copy(update={"code": "EVIL2345", "name": '</script><img src=x onerror="alert(1)">门'})
        registry.add(hostile)

        response = await client.get(f"{page_of('EVIL2345')}/shell")

        assert "<img" not in response.text
        assert response.text.count("</script>") == 1
        assert "<h1>&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;门</h1>" in response.text
        data = re.search(r'id="lf-checkpoint-page">(.*?)</script>', response.text)
        assert data is not None
        assert json.loads(data[1])["page"]["checkpoint"]["name"] == hostile.name

    async def test_an_unknown_code_says_so(self, client: httpx.AsyncClient) -> None:
        for code in ("NONE2345", "not a code"):
            response = await client.get(f"{page_of(code)}/shell")

            assert response.status_code == 200
            assert "<h1>无法打开该卡口</h1>" in response.text
            assert '{"not_found":true}' in response.text

    async def test_the_registry_unreachable_leaves_it_empty_for_the_page_skeleton(
        self, client: httpx.AsyncClient, registry: FakeRegistry
    ) -> None:
        registry.down = True

        response = await client.get(f"{page_of('NEWW2345')}/shell")

        assert (response.status_code, response.text) == (200, "")
