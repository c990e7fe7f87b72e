"""Health, readiness, Prometheus metrics, JSON logs and the `X-Request-ID` that ties a request's log lines together."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lianfang.common.errors import PayloadTooLarge, Problem, problem_response
from lianfang.common.metrics import REFRESH_TIMEOUT_SECONDS, MetricRefresher, dependency_up, refresh_metrics

__all__ = [
    "ReadinessCheck",
    "RequestContextMiddleware",
    "configure_logging",
    "health_router",
    "request_id",
]

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("lianfang.access")


class JsonFormatter(logging.Formatter):
    _standard = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (current := request_id.get()) is not None:
            entry["request_id"] = current
        entry |= {key: value for key, value in record.__dict__.items() if key not in self._standard}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware writes one access line with the request id


@dataclass(frozen=True)
class _HttpMetrics:
    requests: Counter
    latency: Histogram
    # The labelled series by (service, method, route, status): `labels()` costs more than the count it makes.
    series: dict[tuple[str, str, str, int], tuple[Counter, Histogram]]

    def observe(self, service: str, method: str, route: str, status: int, seconds: float) -> None:
        key = (service, method, route, status)
        found = self.series.get(key)
        if found is None:
            found = self.series[key] = (
                self.requests.labels(service, method, route, str(status)),
                self.latency.labels(service, method, route),
            )
        requests, latency = found
        requests.inc()
        latency.observe(seconds)


@cache
def _http_metrics() -> _HttpMetrics:
    return _HttpMetrics(
        Counter("lianfang_http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]),
        Histogram(
            "lianfang_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["service", "method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        ),
        {},
    )


class RequestContextMiddleware:
    """Request id in and out, the body size limit, one access log line and the metrics of every request.

    `body_limits` gives paths a limit of their own (a spreadsheet upload); every other request gets `max_body_bytes`."""

    def __init__(
        self, app: ASGIApp, *, service: str, max_body_bytes: int, body_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes
        self.body_limits = dict(body_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        current = incoming if _REQUEST_ID_PATTERN.match(incoming) else os.urandom(16).hex()
        token = request_id.set(current)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", current.encode())]
            await send(message)

        try:
            limit = self.body_limits.get(scope["path"], self.max_body_bytes)
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                response = problem_response(_too_large(limit).to_problem())
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive, limit), send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            _http_metrics().observe(self.service, scope["method"], route, status, elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={"status": status, "duration_ms": round(elapsed * 1000, 2), "service": self.service},
                )
            request_id.reset(token)

    @staticmethod
    def _limited(receive: Receive, limit: int) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        return limited_receive


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"请求内容不能超过 {limit // 1024} KB")


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    check: Callable[[], Awaitable[object]]


def _readiness_checks(request: Request) -> list[ReadinessCheck]:
    checks: list[ReadinessCheck] = getattr(request.app.state, "readiness", [])
    return checks


def _metric_refreshers(request: Request) -> list[MetricRefresher]:
    refreshers: list[MetricRefresher] = getattr(request.app.state, "metric_refreshers", [])
    return refreshers


def _dependency_checks(request: Request) -> list[MetricRefresher]:
    """`lianfang_dependency_up` from the readiness checks, asked at each scrape: Prometheus reads no `/readyz`."""

    def refresher(readiness: ReadinessCheck) -> MetricRefresher:
        gauge = dependency_up(readiness.name)

        async def check() -> None:
            try:
                await asyncio.wait_for(readiness.check(), REFRESH_TIMEOUT_SECONDS)
            except Exception:
                gauge.set(0)
            else:
                gauge.set(1)

        return check

    return [refresher(readiness) for readiness in _readiness_checks(request)]


def health_router() -> APIRouter:
    """`/healthz` (the process answers), `/readyz` (every dependency of `app.state.readiness` answers) and `/metrics`
    (after each readiness check and each of `app.state.metric_refreshers` updated its figures)."""
    router = APIRouter(include_in_schema=False)
    _http_metrics()  # on /metrics from the start, before the first request

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> Response:
        failing = []
        for readiness in _readiness_checks(request):
            try:
                await readiness.check()
            except Exception:
                logging.getLogger("lianfang.readiness").warning("%s is not ready", readiness.name, exc_info=True)
                failing.append(readiness.name)
        if failing:
            problem = Problem(
                title="服务未就绪",
                status=503,
                code="not_ready",
                detail="无法连接：" + "、".join(failing),
            )
            return problem_response(problem, {"Retry-After": "5"})
        return JSONResponse({"status": "ready", "checks": [readiness.name for readiness in _readiness_checks(request)]})

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        await refresh_metrics([*_dependency_checks(request), *_metric_refreshers(request)])
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
