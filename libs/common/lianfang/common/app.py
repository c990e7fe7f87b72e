"""The FastAPI application every service starts from: errors as problems, observability, token verification."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.types import ASGIApp

from lianfang.common.auth import TokenVerifier
from lianfang.common.auth.revocation import Revocations
from lianfang.common.cache import connect_cache
from lianfang.common.direct import DirectEndpoint, DirectRoutes
from lianfang.common.errors import PROBLEM_JSON, BadRequest, Problem, Unauthorized, install_error_handlers
from lianfang.common.observability import RequestContextMiddleware, health_router
from lianfang.common.settings import ServiceSettings

__all__ = ["Lifespan", "ServiceApp", "add_routers", "create_service_app"]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class ServiceApp(FastAPI):
    """FastAPI with the service's request context (request id, body limit, metrics, access log) outermost — around
    FastAPI's own error middleware, so a 500 carries its request id too — and its direct routes right inside it."""

    def __init__(
        self, *, service: str, max_body_bytes: int, body_limits: Mapping[str, int] | None, **options: Any
    ) -> None:
        super().__init__(**options)
        self._service = service
        self._max_body_bytes = max_body_bytes
        self._body_limits = dict(body_limits or {})
        self._direct: dict[tuple[str, str], DirectEndpoint] = {}
        self.direct_bodies: list[type[BaseModel]] = []

    def add_direct_route(
        self, method: str, path: str, endpoint: DirectEndpoint, *, body: type[BaseModel] | None = None
    ) -> None:
        """Answers `method path` (a path without parameters) with `endpoint` ahead of FastAPI's own handling (see
        `lianfang.common.direct`). Declare the same endpoint on a router too, for the OpenAPI document, with
        `openapi_extra=documented_body(body)` when it reads a body."""
        self._direct[(method, path)] = endpoint
        if body is not None:
            self.direct_bodies.append(body)

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        if self._direct:
            app = DirectRoutes(app, endpoints=self._direct, handlers=self.exception_handlers)
        return RequestContextMiddleware(
            app, service=self._service, max_body_bytes=self._max_body_bytes, body_limits=self._body_limits
        )


def _with_revocations(lifespan: Lifespan, settings: ServiceSettings, revocations: Revocations) -> Lifespan:
    """The service's lifespan, with the revoked tokens read from Redis in the background all along."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        cache = connect_cache(settings.redis_url)
        try:
            async with revocations.kept_fresh(cache, settings.revocation_refresh_seconds), lifespan(app):
                yield
        finally:
            await cache.aclose()

    return run


def _documented_problems(app: ServiceApp) -> Callable[[], dict[str, Any]]:
    """`app.openapi`, with errors as they are served: `application/problem+json` problems (FastAPI writes
    `application/json` and its own validation error shape), and the 400 of a malformed body and the 401 of a missing or
    invalid token on every operation that can answer them; and the bodies direct routes read by hand."""
    plain = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain()
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses: dict[str, Any] = operation["responses"]
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": BadRequest.title})
                if operation.get("security"):
                    responses.setdefault("401", {"description": Unauthorized.title})
                for status, response in responses.items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {PROBLEM_JSON: problem}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for name, definition in Problem.model_json_schema(ref_template="#/components/schemas/{model}").items():
            if name == "$defs":
                components.update(definition)
        components.setdefault("Problem", _problem_schema())
        for model in app.direct_bodies:
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components[model.__name__] = body
        app.openapi_schema = schema
        return schema

    return document


def _problem_schema() -> dict[str, Any]:
    definition = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definition.pop("$defs", None)
    return definition


def add_routers(app: FastAPI, *routers: APIRouter) -> None:
    """The routers' routes added to `app` as they are, each built once when its module made it. FastAPI's
    `include_router` builds every route of the router again for each app, on its first request (the parameters,
    dependencies and response model of each, about 1.2 ms a route): 40 ms for the registry's app, paid again by every
    test that makes one. A router's routes carry its prefix, tags and responses already, and no router is included
    with options of its own."""
    for router in routers:
        app.router.routes.extend(router.routes)


def create_service_app(
    *,
    service: str,
    prefix: str,
    title: str,
    settings: ServiceSettings,
    lifespan: Lifespan,
    body_limits: Mapping[str, int] | None = None,
) -> ServiceApp:
    """`prefix` is the service's path prefix of DESIGN.md (`/api/auth`): the same paths in the cluster and all-in-one.
    `body_limits` lets the paths of file uploads take larger bodies than `settings.max_body_bytes`."""
    revocations = Revocations()
    app = ServiceApp(
        service=service,
        max_body_bytes=settings.max_body_bytes,
        body_limits=body_limits,
        title=title,
        version="0.1.0",
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
        lifespan=_with_revocations(lifespan, settings, revocations),
        # Metrics are Prometheus's (`/metrics`); FastAPI's own OpenTelemetry hooks would cost every request a look for
        # providers nobody configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.readiness = []
    app.state.revocations = revocations
    app.state.token_verifier = TokenVerifier(
        settings.jwt_public_key, issuer=settings.jwt_issuer, revocations=revocations
    )
    install_error_handlers(app)
    add_routers(app, health_router())
    app.openapi = _documented_problems(app)  # type: ignore[method-assign]
    return app
