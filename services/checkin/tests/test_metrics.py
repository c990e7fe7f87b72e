from __future__ import annotations

import uuid

import httpx
import pytest

from lianfang.common.testing import scrape

from .conftest import FakeRegistry, Instance, Serve, checkin_settings
from .support import CHECKINS, GATE, HOSPITAL_GATE, Published, gate_answers, resident

pytestmark = pytest.mark.usefixtures("backend")


def body(code: str = GATE.code, **more: object) -> dict[str, object]:
    return {
        "checkpoint_code": code,
        "client_id": str(uuid.uuid4()),
        "answers": gate_answers(),
        "temperature": 36.5,
    } | more


class TestCheckinMetrics:
    async def test_a_confirmed_check_in_counts_for_its_city_with_its_latency_and_the_broker_confirm(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        before = await scrape(client)
        first, person = body(), resident()
        assert (await client.post(CHECKINS, json=first, headers=person)).status_code == 201
        replay = await client.post(CHECKINS, json=first, headers=person)
        assert replay.headers["Idempotent-Replayed"] == "true"
        after = await scrape(client)

        def grew(name: str, **labels: str) -> float:
            return after.value(name, **labels) - before.value(name, **labels)

        assert grew("lianfang_checkins_confirmed_total", city=GATE.city_code) == 1
        assert grew("lianfang_checkins_confirmed_total", city=HOSPITAL_GATE.city_code) == 0
        assert grew("lianfang_checkin_duration_seconds_count", outcome="confirmed") == 1
        assert grew("lianfang_checkin_duration_seconds_count", outcome="replayed") == 1
        assert grew("lianfang_broker_confirm_seconds_count") >= 1
        assert grew("lianfang_redis_roundtrip_seconds_count") >= 1
        assert after.value("lianfang_redis_available") == 1

    async def test_refusals_count_by_their_problem_code(self, client: httpx.AsyncClient) -> None:
        before = await scrape(client)
        closed = await client.post(CHECKINS, json=body("NOSUCH99"), headers=resident())
        invalid = await client.post(CHECKINS, json=body(answers={}), headers=resident())
        anonymous = await client.post(CHECKINS, json=body())
        after = await scrape(client)
        assert (closed.status_code, invalid.status_code, anonymous.status_code) == (404, 422, 401)

        def grew(reason: str) -> float:
            return after.value("lianfang_checkins_refused_total", reason=reason) - before.value(
                "lianfang_checkins_refused_total", reason=reason
            )

        assert grew("checkpoint_not_found") == 1
        assert grew("validation_failed") == 1
        assert grew("unauthorized") == 1
        assert (
            after.value("lianfang_checkin_duration_seconds_count", outcome="refused")
            - before.value("lianfang_checkin_duration_seconds_count", outcome="refused")
            == 3
        )

    async def test_the_broker_down_is_a_refusal_and_a_failed_publish(
        self, instance: Instance, registry: FakeRegistry
    ) -> None:
        before = await scrape(instance.client)
        await instance.app.state.checkins._publisher._broker.close()
        refused = await instance.client.post(CHECKINS, json=body(), headers=resident())
        after = await scrape(instance.client)
        assert refused.status_code == 503
        reason = refused.json()["code"]
        assert (
            after.value("lianfang_checkins_refused_total", reason=reason)
            - before.value("lianfang_checkins_refused_total", reason=reason)
            == 1
        )
        assert (
            after.value("lianfang_broker_publish_failures_total")
            - before.value("lianfang_broker_publish_failures_total")
            == 1
        )
        assert after.value("lianfang_dependency_up", dependency="rabbitmq") == 0
        assert after.value("lianfang_dependency_up", dependency="redis") == 1

    async def test_redis_out_of_reach_counts_its_errors_and_shows_unavailable(
        self, broker_url: str, start: Serve, registry: FakeRegistry, published: Published
    ) -> None:
        registry.add(GATE)
        async with start(checkin_settings("redis://127.0.0.1:1/0", broker_url, redis_timeout_seconds=0.2)) as running:
            response = await running.client.post(CHECKINS, json=body(), headers=resident())
            after = await scrape(running.client)
        # Without Redis a check-in cannot know whether its client id was answered before (issue 12): 503.
        assert (response.status_code, response.json()["code"]) == (503, "redis_unavailable")
        # Counted from the start: the instance met the unreachable Redis when it first looked for its state.
        assert after.value("lianfang_redis_errors_total", kind="unreachable") >= 1
        assert after.value("lianfang_redis_available") == 0
        assert after.value("lianfang_dependency_up", dependency="redis") == 0
