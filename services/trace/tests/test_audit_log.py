from __future__ import annotations

import uuid

import httpx
import pytest

from lianfang.common.auth import ResidentPrincipal
from lianfang.common.testing import bearer

from .support import Json, admin, field_errors, principal

pytestmark = pytest.mark.usefixtures("backend")

AUDIT_LOG = "/api/trace/audit-log"
TRAJECTORY = "/api/trace/people/trajectory"
CONTACTS = "/api/trace/contacts"
# Who looked someone up, in this order: one admin per region.
ACTORS = [1, 7, 42, 43, 8, 91]


async def entries(client: httpx.AsyncClient, headers: dict[str, str], **params: str | int) -> Json:
    response = await client.get(AUDIT_LOG, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: Json = response.json()
    return page


@pytest.fixture
async def lookups(client: httpx.AsyncClient) -> None:
    for region_id in ACTORS:
        response = await client.get(
            TRAJECTORY, params={"phone": "13812345678", "reason": f"排查 {region_id}"}, headers=admin(region_id)
        )
        assert response.status_code == 200, response.text


@pytest.mark.usefixtures("lookups")
class TestScope:
    @pytest.mark.parametrize(
        ("region_id", "expected"),
        [
            (1, [91, 8, 43, 42, 7, 1]),
            (7, [91, 43, 42, 7]),
            (42, [91, 42]),
            (43, [43]),
            (8, [8]),
            (91, [91]),
            (88, [91]),
        ],
    )
    async def test_an_admin_reads_the_entries_of_its_subtree_newest_first(
        self, client: httpx.AsyncClient, region_id: int, expected: list[int]
    ) -> None:
        page = await entries(client, admin(region_id))
        assert [item["actor_region_id"] for item in page["items"]] == expected
        assert [item["reason"] for item in page["items"]] == [f"排查 {actor}" for actor in expected]

    async def test_pages_cover_every_entry_once(self, client: httpx.AsyncClient) -> None:
        seen: list[int] = []
        cursor: str | None = None
        while True:
            page = await entries(client, admin(1), limit=4, **({"cursor": cursor} if cursor else {}))
            seen += [item["actor_region_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [91, 8, 43, 42, 7, 1]


class TestEntries:
    async def test_an_entry_says_who_when_what_and_why(self, client: httpx.AsyncClient) -> None:
        caller = principal(42)
        response = await client.post(
            CONTACTS,
            json={
                "id_card": "11010519491231002X",
                "from": "2026-11-01T00:00:00+08:00",
                "to": "2026-11-15T00:00:00+08:00",
            },
            headers=bearer(caller),
        )
        assert response.status_code == 200, response.text
        (item,) = (await entries(client, admin(7)))["items"]
        assert item == {
            "id": item["id"],
            "at": item["at"],
            "actor_id": str(caller.id),
            "actor_region_id": 42,
            "actor_region_name": "长安区",
            "action": "contacts",
            "action_label": "密接筛查",
            "query": {
                "id_card": "110***********002X",
                "from": "2026-11-01T00:00:00+08:00",
                "to": "2026-11-15T00:00:00+08:00",
                "window_minutes": 30,
                "second_degree": False,
            },
            "query_names": {},
            "reason": None,
            "request_id": response.headers["x-request-id"],
        }

    async def test_the_regions_and_checkpoints_an_entry_names_are_named(self, client: httpx.AsyncClient) -> None:
        export = await client.get(
            "/api/trace/export.csv", params={"region_id": 89, "checkpoint_id": 4203}, headers=admin(42)
        )
        assert export.status_code == 200, export.text

        (item,) = (await entries(client, admin(42)))["items"]

        assert item["query"]["region_id"] == 89
        assert item["query_names"] == {"region_id": "育才街道", "checkpoint_id": "育才菜市场"}
        assert item["actor_region_name"] == "长安区"
        assert item["at"].endswith("+08:00")

    async def test_entries_filter_by_action(self, client: httpx.AsyncClient) -> None:
        headers = admin(1)
        await client.get(TRAJECTORY, params={"phone": "13812345678"}, headers=headers)
        await client.post(CONTACTS, json={"phone": "13812345678"}, headers=headers)
        page = await entries(client, headers, action="contacts")
        assert [item["action"] for item in page["items"]] == ["contacts"]

    async def test_a_superior_reads_a_subordinates_entries_its_peers_do_not(self, client: httpx.AsyncClient) -> None:
        await client.get(TRAJECTORY, params={"phone": "13812345678"}, headers=admin(43))
        assert len((await entries(client, admin(7)))["items"]) == 1
        assert (await entries(client, admin(42)))["items"] == []


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"limit": 201}, [("limit", "less_than_equal")]),
            ({"action": "peek"}, [("action", "enum")]),
            ({"cursor": "%%%"}, [("cursor", "invalid")]),
        ],
    )
    async def test_each_bad_parameter_is_a_422_naming_it(
        self, client: httpx.AsyncClient, params: Json, expected: list[tuple[str, str]]
    ) -> None:
        assert field_errors(await client.get(AUDIT_LOG, params=params, headers=admin(1))) == expected

    async def test_only_admins_read_the_log(self, client: httpx.AsyncClient) -> None:
        response = await client.get(AUDIT_LOG, headers=bearer(ResidentPrincipal(uuid.uuid4())))
        assert response.status_code == 403
