"""Helpers for the tests of every service: run an app in-process and mint tokens with the development key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from lianfang.common.auth import Principal, TokenSigner
from lianfang.common.auth.devkeys import DEV_JWT_PRIVATE_KEY

__all__ = ["bearer", "serve", "sign_token"]


@asynccontextmanager
async def serve(
    app: FastAPI, *, asgi: ASGIApp | None = None, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan and talk to it in-process, as a client would over the network (through `asgi` when the
    app is wrapped, as the all-in-one server's dispatcher wraps its root app)."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi or app), base_url=base_url) as client,
    ):
        yield client


def sign_token(principal: Principal, *, minutes: int = 15) -> str:
    return TokenSigner(DEV_JWT_PRIVATE_KEY, issuer="lianfang", lifetime=timedelta(minutes=minutes)).sign(principal)


def bearer(principal: Principal, *, minutes: int = 15) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_token(principal, minutes=minutes)}"}
