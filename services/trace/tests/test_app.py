from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("backend")


async def test_ready_when_both_stores_answer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


async def test_the_api_is_described_under_its_prefix(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/trace/openapi.json")).json()["paths"]
    assert {
        "/api/trace/records",
        "/api/trace/people/trajectory",
        "/api/trace/contacts",
        "/api/trace/audit-log",
    } <= set(paths)
    parameters = {parameter["name"] for parameter in paths["/api/trace/records"]["get"]["parameters"]}
    assert {"from", "to", "region_id", "checkpoint_id", "status", "phone", "id_card", "cursor", "limit"} <= parameters
