"""The objects a service builds once at start-up, kept on `app.state` and handed to routes by typed dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

__all__ = ["app_state"]


def app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency answering `app.state.<name>`; a service's `deps.py` gives it its type in an `Annotated` alias.

    A coroutine: FastAPI runs plain functions in its thread pool, a hand-off the check-in hot path cannot afford."""

    async def from_app_state(request: Request) -> Any:
        return getattr(request.app.state, name)

    return from_app_state
