"""Routes answered ahead of FastAPI's own request handling, for a hot path whose work costs less than that handling.

Between the server and an endpoint FastAPI spends about a third of a check-in's CPU: error and telemetry middleware, a
`Request` and an exit stack per layer, the route table matched, the dependency solver run for a handler that takes only
the request. A direct route (`ServiceApp.add_direct_route`) goes from the request context straight to its endpoint; its
errors become the problems the app's exception handlers make of them anywhere else.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["DirectEndpoint", "DirectRoutes", "documented_body", "parse_body"]

DirectEndpoint = Callable[[Request], Awaitable[Response]]
BodyT = TypeVar("BodyT", bound=BaseModel)
# FastAPI's type of its exception handlers.
_Handler = Callable[[Request, Any], Response | Awaitable[Response]]

log = logging.getLogger("lianfang.errors")


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` that documents the body a direct route reads by hand; `ServiceApp.add_direct_route(body=)`
    adds the model's schema to the document's components."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def parse_body(model: type[BodyT], raw: bytes) -> BodyT:
    """The body parsed and validated in one pass by pydantic-core; its problems answered as any route's are."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as invalid:
        raise RequestValidationError(invalid.errors(include_url=False)) from None


@dataclass(frozen=True, slots=True)
class _DirectRoute:
    # What the request context reads of a matched route: the template its metrics are labelled with.
    path: str


class DirectRoutes:
    """Answers the `(method, path)` of `endpoints` itself and hands every other request to `app`."""

    def __init__(
        self, app: ASGIApp, *, endpoints: Mapping[tuple[str, str], DirectEndpoint], handlers: Mapping[Any, _Handler]
    ) -> None:
        self.app = app
        self.endpoints = {key: (_DirectRoute(key[1]), endpoint) for key, endpoint in endpoints.items()}
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = self.endpoints.get((scope.get("method", ""), scope["path"])) if scope["type"] == "http" else None
        if direct is None:
            await self.app(scope, receive, send)
            return
        route, endpoint = direct
        scope["route"] = route
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as error:
            response = await self._problem(request, error)
        await response(scope, receive, send)

    async def _problem(self, request: Request, error: Exception) -> Response:
        for kind in type(error).__mro__:
            handler = self.handlers.get(kind)
            if handler is not None:
                if kind is Exception:
                    log.error("unexpected error answering %s", request.url.path, exc_info=error)
                answer = handler(request, error)
                return await answer if inspect.isawaitable(answer) else answer
        raise error
