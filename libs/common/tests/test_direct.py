"""A direct route answers like any other route of the service: its problems, request ids, body limit and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from lianfang.common.app import ServiceApp, create_service_app
from lianfang.common.errors import NotFound
from lianfang.common.settings import ServiceSettings
from lianfang.common.testing import serve


class Stamp(BaseModel):
    gate: str = Field(min_length=1)


async def stamp(request: Request) -> Response:
    try:
        body = Stamp.model_validate_json(await request.body())
    except ValidationError as invalid:
        raise RequestValidationError(invalid.errors(include_url=False)) from None
    if body.gate == "nowhere":
        raise NotFound("没有这个卡口")
    if body.gate == "crash":
        raise RuntimeError("secret internals")
    return Response(b'{"stamped":"%s"}' % body.gate.encode(), status_code=201, media_type="application/json")


def build_app() -> ServiceApp:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    app = create_service_app(
        service="stamps", prefix="/api/stamps", title="stamps", settings=ServiceSettings(), lifespan=lifespan
    )
    app.post("/api/stamps", status_code=201)(stamp)

    @app.get("/api/stamps/routed")
    async def routed() -> dict[str, str]:
        return {"by": "router"}

    app.add_direct_route("POST", "/api/stamps", stamp)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serve(build_app()) as running:
        yield running


async def test_the_endpoint_answers_and_other_paths_still_reach_the_router(client: httpx.AsyncClient) -> None:
    direct = await client.post("/api/stamps", json={"gate": "east"}, headers={"X-Request-ID": "gate-7"})
    routed = await client.get("/api/stamps/routed")

    assert (direct.status_code, direct.json(), direct.headers["x-request-id"]) == (201, {"stamped": "east"}, "gate-7")
    assert routed.json() == {"by": "router"}


async def test_errors_are_the_problems_of_every_other_route(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/stamps", json={"gate": "nowhere"})
    invalid = await client.post("/api/stamps", json={"gate": ""})
    not_json = await client.post("/api/stamps", content=b"{", headers={"content-type": "application/json"})

    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "没有这个卡口"
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"field": "gate", "message": "太短", "code": "string_too_short"}]
    assert (not_json.status_code, not_json.json()["code"]) == (400, "bad_request")


async def test_an_unexpected_error_is_logged_and_answered_without_internals(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="lianfang.errors"):
        response = await client.post("/api/stamps", json={"gate": "crash"})

    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "secret" not in response.text
    assert "RuntimeError: secret internals" in caplog.text


async def test_the_body_limit_and_the_metrics_apply(client: httpx.AsyncClient) -> None:
    oversized = await client.post("/api/stamps", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
    await client.post("/api/stamps", json={"gate": "west"})

    metrics = (await client.get("/metrics")).text

    assert oversized.status_code == 413
    assert 'lianfang_http_requests_total{method="POST",route="/api/stamps",service="stamps",status="201"}' in metrics


def test_the_route_stays_in_the_openapi_document() -> None:
    assert "/api/stamps" in build_app().openapi()["paths"]
