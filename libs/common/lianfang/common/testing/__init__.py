"""Helpers for the tests of every service: run an app in-process and mint tokens with the development key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Final

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.types import ASGIApp

from lianfang.common.auth import Principal, TokenSigner
from lianfang.common.auth.devkeys import DEV_JWT_PRIVATE_KEY

__all__ = ["Scraped", "bearer", "scrape", "serve", "sign_token"]


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


# Tests often sign their tokens at import, and a slow run reaches the last of them many minutes later: a day outlasts
# any run. Tests of expiry give their own lifetime.
_TEST_TOKEN_MINUTES: Final = 24 * 60


def sign_token(principal: Principal, *, minutes: int = _TEST_TOKEN_MINUTES) -> str:
    return TokenSigner(DEV_JWT_PRIVATE_KEY, issuer="lianfang", lifetime=timedelta(minutes=minutes)).sign(principal)


def bearer(principal: Principal, *, minutes: int = _TEST_TOKEN_MINUTES) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_token(principal, minutes=minutes)}"}


class Scraped(dict[tuple[str, frozenset[tuple[str, str]]], float]):
    """The samples of one `/metrics` answer by name and labels; the families' names in `families`."""

    families: set[str]

    def value(self, name: str, **labels: str) -> float:
        """A sample's value; 0 for a series not (yet) exported."""
        return self.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, path: str = "/metrics") -> Scraped:
    """What Prometheus would read from the process. Metrics are per process, so tests compare two scrapes."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    scraped = Scraped()
    scraped.families = set()
    for family in text_string_to_metric_families(response.text):
        scraped.families.add(family.name)
        for sample in family.samples:
            scraped[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return scraped
