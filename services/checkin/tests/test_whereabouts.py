"""A resident's position (only with consent, only as a distance) and the scene a code was scanned from, as the gate
keeper sees them and as the records store receives them."""

from __future__ import annotations

import uuid

import httpx
import pytest
from redis.asyncio import Redis

from lianfang.checkin.checkins.geo import distance_m, distance_text
from lianfang.common.contracts.checkpoints import CheckpointPosition

from .conftest import FakeRegistry
from .support import CHECKINS, Json, Published, checkpoint_config, gate_answers, resident, seed, staff

pytestmark = pytest.mark.usefixtures("backend")

# 育才小区东门 with its spot: 200 m around it.
AT_GATE = {"latitude": 38.04281, "longitude": 114.51482}
PLACED = checkpoint_config(
    id=606,
    code="PLCD2345",
    name="育才小区南门",
    requires_audit=True,
    position=CheckpointPosition(**AT_GATE, radius_m=200),
)
# About 2.3 km to the north.
FAR_AWAY = {"latitude": 38.06351, "longitude": 114.51482}


@pytest.fixture(autouse=True)
async def placed(cache: Redis, registry: FakeRegistry) -> None:
    registry.add(PLACED)
    await seed(cache, PLACED)


async def arrive(client: httpx.AsyncClient, **more: object) -> Json:
    body = {
        "checkpoint_code": PLACED.code,
        "client_id": str(uuid.uuid4()),
        "answers": gate_answers(),
        "temperature": 36.5,
    } | more
    response = await client.post(CHECKINS, json=body, headers=resident())
    assert response.status_code == 201, response.text
    receipt: Json = response.json()
    return receipt


async def arrival(client: httpx.AsyncClient, record_id: str) -> Json:
    response = await client.get(f"/api/checkin/staff/checkpoints/{PLACED.id}/pending", headers=staff(PLACED.id))
    found: Json = next(item for item in response.json()["items"] if item["id"] == record_id)
    return found


class TestDistance:
    def test_is_the_great_circle_in_metres(self) -> None:
        assert (
            distance_m(
                **dict(zip(("latitude", "longitude"), AT_GATE.values(), strict=True)),
                other_latitude=38.06351,
                other_longitude=114.51482,
            )
            == 2302
        )

    @pytest.mark.parametrize(("metres", "shown"), [(850, "850 米"), (2302, "2.3 公里"), (15_400, "15 公里")])
    def test_reads_as_people_say_it(self, metres: int, shown: str) -> None:
        assert distance_text(metres) == shown


class TestPosition:
    async def test_a_check_in_far_from_the_gate_is_flagged_with_its_distance(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        receipt = await arrive(client, location=FAR_AWAY | {"accuracy": 35}, location_consent=True, scan_scene=1011)

        shown = await arrival(client, receipt["id"])
        (event,) = await published.created()
        assert (shown["distance_m"], shown["outside_radius"], shown["remote_scan"]) == (2302, True, False)
        assert shown["warnings"] == [{"code": "outside_radius", "message": "距卡口 2.3 公里（定位精度约 35 米）"}]
        assert (event.distance_m, event.outside_radius, event.remote_scan) == (2302, True, False)
        # The records store gets a distance, never the position.
        assert "38.06351" not in event.model_dump_json()

    async def test_a_check_in_at_the_gate_has_its_distance_and_no_warning(
        self, client: httpx.AsyncClient, published: Published
    ) -> None:
        receipt = await arrive(client, location=AT_GATE | {"accuracy": 20}, location_consent=True)

        shown = await arrival(client, receipt["id"])
        (event,) = await published.created()
        assert (shown["distance_m"], shown["outside_radius"], shown["warnings"]) == (0, False, [])
        assert (event.distance_m, event.outside_radius) == (0, False)

    async def test_a_poor_fix_is_given_the_benefit_of_its_accuracy(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client, location=FAR_AWAY | {"accuracy": 3000}, location_consent=True)

        shown = await arrival(client, receipt["id"])
        assert (shown["distance_m"], shown["outside_radius"], shown["warnings"]) == (2302, False, [])

    async def test_a_position_without_consent_is_dropped(self, client: httpx.AsyncClient, published: Published) -> None:
        receipt = await arrive(client, location=FAR_AWAY | {"accuracy": 35})

        shown = await arrival(client, receipt["id"])
        (event,) = await published.created()
        assert (shown["distance_m"], shown["outside_radius"], shown["warnings"]) == (None, None, [])
        assert (event.distance_m, event.outside_radius) == (None, None)

    async def test_no_position_is_never_a_reason_to_refuse(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(client, location_consent=True)

        assert receipt["status"] == "pending"

    async def test_companions_were_where_the_resident_was(self, client: httpx.AsyncClient) -> None:
        receipt = await arrive(
            client,
            location=FAR_AWAY | {"accuracy": 35},
            location_consent=True,
            companions=[{"answers": gate_answers(name="张小明"), "temperature": 36.6}],
        )

        companion = await arrival(client, receipt["companions"][0]["id"])
        assert (companion["distance_m"], companion["outside_radius"]) == (2302, True)

    async def test_a_checkpoint_without_a_position_keeps_no_distance(self, client: httpx.AsyncClient) -> None:
        body = {
            "checkpoint_code": "GATE2345",
            "client_id": str(uuid.uuid4()),
            "answers": gate_answers(),
            "temperature": 36.5,
            "location": FAR_AWAY,
            "location_consent": True,
        }
        response = await client.post(CHECKINS, json=body, headers=resident())

        assert response.status_code == 201

    async def test_an_impossible_position_is_refused_by_field(self, client: httpx.AsyncClient) -> None:
        body = {
            "checkpoint_code": PLACED.code,
            "client_id": str(uuid.uuid4()),
            "answers": gate_answers(),
            "temperature": 36.5,
            "location": {"latitude": 95, "longitude": 114.5},
            "location_consent": True,
        }
        response = await client.post(CHECKINS, json=body, headers=resident())

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["location.latitude"]


class TestScene:
    @pytest.mark.parametrize("scene", [1012, 1013, 1048, 1049])
    async def test_a_code_read_from_a_picture_is_flagged_to_staff(
        self, client: httpx.AsyncClient, published: Published, scene: int
    ) -> None:
        receipt = await arrive(client, scan_scene=scene)

        shown = await arrival(client, receipt["id"])
        (event,) = await published.created()
        assert shown["remote_scan"] is True
        assert shown["warnings"] == [{"code": "remote_scan", "message": "非现场扫码：通过相册或聊天中的图片打开"}]
        assert event.remote_scan is True

    @pytest.mark.parametrize("scene", [1011, 1047, None])
    async def test_a_scan_at_the_gate_is_not(self, client: httpx.AsyncClient, scene: int | None) -> None:
        receipt = await arrive(client, **({"scan_scene": scene} if scene else {}))

        shown = await arrival(client, receipt["id"])
        assert (shown["remote_scan"], shown["warnings"]) == (False, [])
