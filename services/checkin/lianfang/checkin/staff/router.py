from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import StreamingResponse

from lianfang.checkin.auth import Staff
from lianfang.checkin.checkins.router import receipt_response
from lianfang.checkin.checkins.schemas import CheckinReceipt, HandEntryCreate
from lianfang.checkin.deps import Checkin
from lianfang.checkin.errors import (
    AlreadyDecided,
    CheckinInProgress,
    CheckpointClosed,
    CheckpointNotFound,
    ClientIdTaken,
    NotOnDuty,
    RecordNotFound,
    RegistryUnavailable,
    StateRebuilding,
    StateUnavailable,
)
from lianfang.checkin.staff.schemas import (
    ArrivalAnswers,
    DecisionCreate,
    DecisionOut,
    PendingArrivals,
    StaffCheckpoints,
    TodaysArrivals,
)
from lianfang.common.auth import BearerToken
from lianfang.common.contracts.paths import CHECKIN
from lianfang.common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from lianfang.common.messaging import BrokerUnavailable

__all__ = ["router"]

router = APIRouter(prefix=f"{CHECKIN}/staff", tags=["卡口执勤"])


@router.get("/checkpoints", responses=error_responses(Unauthorized, Forbidden, RegistryUnavailable))
async def my_checkpoints(staff: Staff, parts: Checkin) -> StaffCheckpoints:
    """The checkpoints the caller is on duty at."""
    return await parts.staff.checkpoints(staff)


@router.get(
    "/checkpoints/{checkpoint_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "事件流：arrival（到达，含状态与警示）、decision（审核结果）",
        },
        **error_responses(Unauthorized, Forbidden, NotOnDuty),
    },
)
async def live_events(
    checkpoint_id: int,
    staff: Staff,
    parts: Checkin,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    """Arrivals (with status and warnings) and decisions at the checkpoint as they happen, on any instance; a comment
    every `LIANFANG_SSE_HEARTBEAT_SECONDS` keeps proxies from closing the stream, and `Last-Event-ID` resumes it."""
    return StreamingResponse(
        parts.staff.events(staff, checkpoint_id, last_event_id),
        media_type="text/event-stream",
        # nginx would otherwise buffer the stream.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/checkpoints/{checkpoint_id}/arrivals",
    responses=error_responses(Unauthorized, Forbidden, NotOnDuty, StateUnavailable, StateRebuilding),
)
async def todays_arrivals(checkpoint_id: int, staff: Staff, parts: Checkin) -> TodaysArrivals:
    """Everyone checked in here today (Beijing time), oldest first, each with their current status: what the board
    shows again after a reload, a reconnect or a switch of device."""
    return await parts.staff.today(staff, checkpoint_id)


@router.get(
    "/checkpoints/{checkpoint_id}/pending",
    responses=error_responses(Unauthorized, Forbidden, NotOnDuty, StateUnavailable, StateRebuilding),
)
async def pending_arrivals(checkpoint_id: int, staff: Staff, parts: Checkin) -> PendingArrivals:
    """Arrivals waiting for a decision, oldest first."""
    return await parts.staff.pending(staff, checkpoint_id)


@router.get(
    "/checkins/{record_id}/answers",
    responses=error_responses(Unauthorized, Forbidden, NotOnDuty, RecordNotFound, StateUnavailable),
)
async def arrival_answers(record_id: uuid.UUID, staff: Staff, parts: Checkin) -> ArrivalAnswers:
    """What a pending arrival filled in, each answer under its label in the checkpoint's form (name, phone and ID number
    masked), for the approval card. Kept while the arrival waits: a decided one is 404."""
    return await parts.staff.answers(staff, record_id)


@router.post(
    "/checkins/{record_id}/decision",
    responses=error_responses(
        Unauthorized,
        Forbidden,
        NotOnDuty,
        RecordNotFound,
        AlreadyDecided,
        StateUnavailable,
        StateRebuilding,
        BrokerUnavailable,
    ),
)
async def decide(
    record_id: uuid.UUID, body: DecisionCreate, staff: Staff, token: BearerToken, parts: Checkin
) -> DecisionOut:
    """Approve (准许通行) or reject (未通过) a pending arrival at one of the caller's checkpoints; the resident hears of
    it through WeChat when they subscribed."""
    return await parts.staff.decide(staff, record_id, body, token)


@router.post(
    "/checkpoints/{checkpoint_id}/checkins",
    status_code=201,
    response_model=CheckinReceipt,
    responses=error_responses(
        Unauthorized,
        Forbidden,
        NotOnDuty,
        CheckpointNotFound,
        CheckpointClosed,
        CheckinInProgress,
        ClientIdTaken,
        ValidationFailed,
        BrokerUnavailable,
        RegistryUnavailable,
        StateUnavailable,
        StateRebuilding,
    ),
)
async def enter_by_hand(checkpoint_id: int, body: HandEntryCreate, staff: Staff, parts: Checkin) -> Response:
    """A visitor without a smartphone: name, phone or ID number, and the temperature staff measured. Staff vouch for the
    visitor themselves, so the record needs no approval; a fever still makes it 体温异常."""
    return receipt_response(await parts.checkins.enter_by_hand(staff, checkpoint_id, body))
