"""What every service answers the same way: problems, request ids, health, metrics and the request's transaction."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import String, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lianfang.common.app import create_service_app
from lianfang.common.db import DbSession, create_database, new_metadata
from lianfang.common.errors import Conflict, NotFound
from lianfang.common.observability import ReadinessCheck
from lianfang.common.settings import ServiceSettings
from lianfang.common.testing import serve
from lianfang.common.testing.plugin import Backend


class NoteBase(DeclarativeBase):
    metadata = new_metadata()


class Note(NoteBase):
    __tablename__ = "notes"
    text: Mapped[str] = mapped_column(String(32), primary_key=True)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=32)
    count: int = Field(ge=1)


class Recorded(Conflict):
    code = "recorded"
    commit_session = True


async def broken_dependency() -> None:
    raise ConnectionError("redis down")


def build_app(database_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = create_database(database_url)
        async with database.engine.begin() as connection:
            await connection.run_sync(NoteBase.metadata.create_all)
        app.state.database = database
        app.state.readiness = [ReadinessCheck("notes-db", database.ping), ReadinessCheck("redis", broken_dependency)]
        yield
        await database.dispose()

    app = create_service_app(
        service="notes", prefix="/api/notes", title="notes", settings=ServiceSettings(), lifespan=lifespan
    )

    @app.post("/api/notes", status_code=201)
    async def add(body: NoteIn, session: DbSession) -> dict[str, str]:
        session.add(Note(text=body.text))
        return {"text": body.text}

    @app.post("/api/notes/{text}/fail")
    async def add_then_fail(text: str, session: DbSession) -> None:
        session.add(Note(text=text))
        await session.flush()
        raise NotFound("没有这条记录")

    @app.post("/api/notes/{text}/record-then-refuse")
    async def add_then_refuse(text: str, session: DbSession) -> None:
        session.add(Note(text=text))
        await session.flush()
        raise Recorded("已记录")

    @app.post("/api/notes/{text}/crash")
    async def add_then_crash(text: str, session: DbSession) -> None:
        session.add(Note(text=text))
        await session.flush()
        raise RuntimeError("secret internals")

    @app.post("/api/notes/{text}/twice", status_code=201)
    async def add_twice_unflushed(text: str, session: DbSession) -> dict[str, str]:
        session.add(Note(text=text))
        await session.flush()
        session.expunge_all()
        session.add(Note(text=text))  # the duplicate surfaces only when the request's session commits
        return {"text": text}

    @app.get("/api/notes/count")
    async def count(session: DbSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(Note)) or 0)

    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(build_app(f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}")) as running:
        yield running


@asynccontextmanager
async def mariadb_database() -> AsyncIterator[str]:
    """An empty database of its own on the test MariaDB, dropped afterwards."""
    server_url = make_url(os.environ["LIANFANG_TEST_MYSQL_URL"])
    name = f"lianfang_test_notes_{uuid.uuid4().hex[:12]}"
    server = create_database(server_url.render_as_string(hide_password=False))
    async with server.engine.begin() as connection:
        await connection.execute(text(f"CREATE DATABASE `{name}`"))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with server.engine.begin() as connection:
            await connection.execute(text(f"DROP DATABASE `{name}`"))
        await server.dispose()


async def kill_connections_to(url: str) -> None:
    """What a server restart does to the connections a pool holds."""
    killer = create_database(url)
    try:
        async with killer.engine.connect() as connection:
            ids = await connection.scalars(
                text("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()")
            )
            for connection_id in ids.all():
                await connection.execute(text(f"KILL {int(connection_id)}"))
    finally:
        await killer.dispose()


async def count(client: httpx.AsyncClient) -> int:
    value: int = (await client.get("/api/notes/count")).json()
    return value


class TestTransactions:
    async def test_a_route_that_returns_commits(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/notes", json={"text": "a", "count": 1})

        assert response.status_code == 201
        assert await count(client) == 1

    async def test_a_route_that_raises_changes_nothing(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/notes/b/fail")

        assert response.status_code == 404
        assert response.json() == {
            "type": "about:blank",
            "title": "资源不存在",
            "status": 404,
            "detail": "没有这条记录",
            "code": "not_found",
        }
        assert await count(client) == 0

    async def test_an_error_that_records_keeps_what_it_recorded(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/notes/c/record-then-refuse")

        assert response.status_code == 409
        assert await count(client) == 1

    async def test_an_unexpected_error_is_a_500_problem_without_internals(self, tmp_path: Path) -> None:
        app = build_app(f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}")
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver"
            ) as client,
        ):
            response = await client.post("/api/notes/d/crash")

            assert response.status_code == 500
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "internal_error"
            assert "secret" not in response.text
            assert len(response.headers["x-request-id"]) == 32
            assert await count(client) == 0

    async def test_a_commit_that_fails_is_answered_as_a_failure(self, tmp_path: Path) -> None:
        app = build_app(f"sqlite+aiosqlite:///{tmp_path / 'late.db'}")
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver"
            ) as client,
        ):
            response = await client.post("/api/notes/e/twice")

            assert response.status_code == 500
            assert await count(client) == 0


class TestProblems:
    async def test_a_database_gone_under_a_request_is_a_503_to_retry(self, backend: Backend) -> None:
        """The server closed a pooled connection moments after its last use (too soon for the idle ping): the request
        meets it, answers 503 with Retry-After and stores nothing; the retry gets a new connection."""
        if not backend.real:
            pytest.skip("a connection the server closes is MariaDB's")
        async with mariadb_database() as url, serve(build_app(url)) as client:
            assert (await client.post("/api/notes", json={"text": "a", "count": 1})).status_code == 201
            await kill_connections_to(url)

            refused = await client.post("/api/notes", json={"text": "b", "count": 1})
            retried = await client.post("/api/notes", json={"text": "c", "count": 1})

            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "2"
            assert refused.json()["code"] == "service_unavailable"
            assert retried.status_code == 201
            assert await count(client) == 2

    async def test_field_errors_name_every_field(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/notes", json={"text": "", "count": 0})

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "text", "message": "太短", "code": "string_too_short"},
            {"field": "count", "message": "太小", "code": "greater_than_equal"},
        ]

    async def test_an_unknown_path_and_a_wrong_method_are_problems(self, client: httpx.AsyncClient) -> None:
        missing = await client.get("/api/notes/nothing/here")
        wrong_method = await client.delete("/api/notes")

        assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
        assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")

    async def test_a_declared_oversized_body_is_refused_before_it_is_read(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/notes", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
        )

        assert response.status_code == 413
        assert response.json()["detail"] == "请求内容不能超过 1024 KB"


class TestObservability:
    async def test_a_request_id_is_passed_on_or_made(self, client: httpx.AsyncClient) -> None:
        given = await client.get("/healthz", headers={"X-Request-ID": "gate-7-abc"})
        made = await client.get("/healthz")

        assert given.headers["x-request-id"] == "gate-7-abc"
        assert len(made.headers["x-request-id"]) == 32

    async def test_readiness_names_the_dependency_that_is_down(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")

        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.json()["detail"] == "无法连接：redis"

    async def test_metrics_count_requests_by_route_template(self, client: httpx.AsyncClient) -> None:
        await client.post("/api/notes/e/fail")

        metrics = (await client.get("/metrics")).text

        assert (
            'lianfang_http_requests_total{method="POST",route="/api/notes/{text}/fail",service="notes",status="404"}'
            in metrics
        )
        assert "lianfang_http_request_duration_seconds_bucket" in metrics

    async def test_each_service_publishes_its_openapi_under_its_prefix(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/notes/openapi.json")

        assert response.status_code == 200
        assert "/api/notes/count" in response.json()["paths"]
