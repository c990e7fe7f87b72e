from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from lianfang.checkin.auth import Resident, resident_of
from lianfang.checkin.checkins.schemas import CheckinCreate, CheckinHistory, CheckinReceipt, CheckoutCreate
from lianfang.checkin.checkins.service import Checkins, CheckinService, Submitted
from lianfang.checkin.errors import (
    CheckinInProgress,
    CheckpointClosed,
    CheckpointNotFound,
    ClientIdTaken,
    NotCheckedIn,
    RegistryUnavailable,
    StateRebuilding,
    StateUnavailable,
)
from lianfang.checkin.limits import ResidentLimiter
from lianfang.checkin.metrics import checkin_metrics
from lianfang.common.contracts.paths import CHECKIN
from lianfang.common.direct import documented_body
from lianfang.common.errors import (
    AppError,
    Forbidden,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from lianfang.common.messaging import BrokerUnavailable

__all__ = ["receipt_response", "router"]

router = APIRouter(prefix=CHECKIN, tags=["登记"])

_CHECKIN_BODY: Final[dict[str, Any]] = documented_body(CheckinCreate) | {"security": [{"HTTPBearer": []}]}


def receipt_response(submitted: Submitted) -> Response:
    """The receipt as it was serialised when it was made: the same bytes for the first answer and every replay."""
    headers = {"Idempotent-Replayed": "true"} if submitted.replayed else None
    return Response(submitted.receipt, status_code=201, media_type="application/json", headers=headers)


def _client_id(raw: bytes) -> uuid.UUID | None:
    """The client id of a body that failed validation, if it has a readable one."""
    try:
        found = json.loads(raw).get("client_id")
        return uuid.UUID(found) if isinstance(found, str) else None
    except (ValueError, AttributeError, RecursionError):  # JSON nested past the parser's depth: no readable id
        return None


# The hot path takes its request by hand and is answered ahead of FastAPI's routing (`main` makes it a direct route):
# FastAPI's dependency injection, body handling and route matching cost as much as the check-in's own work. The body is
# parsed and validated in one pass by pydantic-core, and the receipt goes out as the bytes it was stored as. The
# declaration here documents it in the OpenAPI document.
@router.post(
    "/checkins",
    status_code=201,
    response_model=CheckinReceipt,
    responses=error_responses(
        Unauthorized,
        Forbidden,
        CheckpointNotFound,
        CheckpointClosed,
        CheckinInProgress,
        ClientIdTaken,
        ValidationFailed,
        BrokerUnavailable,
        RegistryUnavailable,
        TooManyRequests,
        StateUnavailable,
        StateRebuilding,
    ),
    openapi_extra=_CHECKIN_BODY,
)
async def create_checkin(request: Request) -> Response:
    """A check-in, with companions (body: `CheckinCreate`). The receipt comes once the broker confirmed every record;
    the same `client_id` within 24 hours answers with the first receipt again (header `Idempotent-Replayed: true`),
    whatever the body."""
    started = time.perf_counter()
    metrics = checkin_metrics()
    try:
        response = await _check_in(request)
    except AppError as error:
        metrics.refused(error.code).inc()
        metrics.duration("refused").observe(time.perf_counter() - started)
        raise
    except RequestValidationError:
        metrics.refused(ValidationFailed.code).inc()
        metrics.duration("refused").observe(time.perf_counter() - started)
        raise
    except Exception:
        metrics.refused(AppError.code).inc()
        metrics.duration("refused").observe(time.perf_counter() - started)
        raise
    replayed = response.headers.get("Idempotent-Replayed") is not None
    metrics.duration("replayed" if replayed else "confirmed").observe(time.perf_counter() - started)
    return response


async def _check_in(request: Request) -> Response:
    resident = resident_of(request)
    # A direct route has no dependencies solved for it: it reads the start-up objects the aliases hand the others.
    limiter: ResidentLimiter = request.app.state.limiter
    checkins: CheckinService = request.app.state.checkins
    if wait := limiter.wait_seconds(resident.id):
        raise TooManyRequests("登记过于频繁，请稍后再试", retry_after=wait)
    raw = await request.body()
    try:
        body = CheckinCreate.model_validate_json(raw)
    except ValidationError as invalid:
        client_id = _client_id(raw)
        replayed = await checkins.replay(client_id, resident.id) if client_id is not None else None
        if replayed is not None:
            return receipt_response(replayed)
        raise RequestValidationError(invalid.errors(include_url=False)) from None
    return receipt_response(await checkins.submit(resident, body))


@router.post(
    "/checkouts",
    status_code=201,
    response_model=CheckinReceipt,
    responses=error_responses(
        Unauthorized,
        Forbidden,
        CheckpointNotFound,
        NotCheckedIn,
        CheckinInProgress,
        ClientIdTaken,
        ValidationFailed,
        BrokerUnavailable,
        RegistryUnavailable,
        StateUnavailable,
        StateRebuilding,
    ),
)
async def create_checkout(body: CheckoutCreate, resident: Resident, checkins: Checkins) -> Response:
    """离开: the caller leaves the checkpoint where they checked in within its kind's assumed stay (the page's `stay`),
    with the same companions; a receipt with `direction: out`. The same `client_id` answers with the first receipt."""
    return receipt_response(await checkins.check_out(resident, body))


@router.get(
    "/me/checkins",
    responses=error_responses(Unauthorized, Forbidden, StateUnavailable, StateRebuilding, ValidationFailed),
)
async def my_checkins(
    resident: Resident,
    checkins: Checkins,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CheckinHistory:
    """The caller's check-ins (and their companions') of the last 30 days, newest first, with staff decisions."""
    return await checkins.history(resident, cursor, limit)
