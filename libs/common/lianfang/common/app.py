"""The FastAPI application every service starts from: errors as problems, observability, token verification."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from lianfang.common.auth import TokenVerifier
from lianfang.common.errors import install_error_handlers
from lianfang.common.observability import health_router, install_observability
from lianfang.common.settings import ServiceSettings

__all__ = ["Lifespan", "create_service_app"]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    service: str,
    prefix: str,
    title: str,
    settings: ServiceSettings,
    lifespan: Lifespan,
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """`prefix` is the service's path prefix of DESIGN.md (`/api/auth`): the same paths in the cluster and all-in-one.
    `body_limits` lets the paths of file uploads take larger bodies than `settings.max_body_bytes`."""
    app = FastAPI(
        title=title,
        version="0.1.0",
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
        lifespan=lifespan,
        # Metrics are Prometheus's (`/metrics`); FastAPI's own OpenTelemetry hooks would cost every request a look for
        # providers nobody configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.readiness = []
    app.state.token_verifier = TokenVerifier(settings.jwt_public_key, issuer=settings.jwt_issuer)
    install_error_handlers(app)
    install_observability(app, service=service, max_body_bytes=settings.max_body_bytes, body_limits=body_limits)
    app.include_router(health_router())
    return app
