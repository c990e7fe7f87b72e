from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import StreamingResponse

from lianfang.checkin.auth import Staff
from lianfang.checkin.checkins.router import receipt_response
from lianfang.checkin.checkins.schemas import CheckinReceipt, HandEntryCreate
from lianfang.checkin.checkins.service import Checkins
from lianfang.checkin.errors import (
    AlreadyDecided,
    CheckinInProgress,
    CheckpointClosed,
    CheckpointNotFound,
    ClientIdTaken,
    NotAbnormal,
    NotOnDuty,
    RecordNotFound,
    RegistryUnavailable,
    StateRebuilding,
    StateUnavailable,
)
from lianfang.checkin.staff.schemas import (
    Arrival,
    ArrivalAnswers,
    CardHolder,
    CardScan,
    DecisionCreate,
    DecisionOut,
    PendingArrivals,
    RemeasureCreate,
    StaffCheckpoints,
    TodaysArrivals,
)
from lianfang.checkin.staff.service import StaffDuty
from lianfang.common.auth import BearerToken
from lianfang.common.contracts.paths import CHECKIN
from lianfang.common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from lianfang.common.messaging import BrokerUnavailable

__all__ = ["router"]

router = APIRouter(prefix=f"{CHECKIN}/staff", tags=["卡口执勤"])


@router.get("/checkpoints", responses=error_responses(Unauthorized, Forbidden, RegistryUnavailable))
async def my_checkpoints(staff: Staff, duty: StaffDuty) -> StaffCheckpoints:
    """The checkpoints the caller is on duty at."""
    return await duty.checkpoints(staff)


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
    duty: StaffDuty,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    """Arrivals (with status and warnings) and decisions at the checkpoint as they happen, on any instance; a comment
    every `LIANFANG_SSE_HEARTBEAT_SECONDS` keeps proxies from closing the stream, and `Last-Event-ID` resumes it."""
    return StreamingResponse(
        duty.events(staff, checkpoint_id, last_event_id),
        media_type="text/event-stream",
        # nginx would otherwise buffer the stream.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/checkpoints/{checkpoint_id}/arrivals",
    responses=error_responses(Unauthorized, Forbidden, NotOnDuty, StateUnavailable, StateRebuilding),
)
async def todays_arrivals(checkpoint_id: int, staff: Staff, token: BearerToken, duty: StaffDuty) -> TodaysArrivals:
    """Everyone checked in here today (Beijing time), oldest first, each with their current status and, for a fever,
    whether it was sent to the region's alerts (处置): what the board shows again after a reload, a reconnect or a
    switch of device."""
    return await duty.today(staff, checkpoint_id, token)


@router.post(
    "/checkpoints/{checkpoint_id}/cards/resolve",
    responses=error_responses(
        Unauthorized, Forbidden, NotOnDuty, CheckpointNotFound, ValidationFailed, RegistryUnavailable
    ),
)
async def resolve_card(checkpoint_id: int, body: CardScan, staff: Staff, duty: StaffDuty) -> CardHolder:
    """Who a scanned personal code (个人码) names, masked: the keeper measures the temperature and registers the
    visitor with `POST …/checkins` and the card. Anything else the camera read is a 422 on `card`."""
    return await duty.card(staff, checkpoint_id, body)


@router.get(
    "/checkpoints/{checkpoint_id}/pending",
    responses=error_responses(Unauthorized, Forbidden, NotOnDuty, StateUnavailable, StateRebuilding),
)
async def pending_arrivals(checkpoint_id: int, staff: Staff, duty: StaffDuty) -> PendingArrivals:
    """Arrivals waiting for a decision, oldest first."""
    return await duty.pending(staff, checkpoint_id)


@router.get(
    "/checkins/{record_id}/answers",
    responses=error_responses(Unauthorized, Forbidden, NotOnDuty, RecordNotFound, StateUnavailable),
)
async def arrival_answers(record_id: uuid.UUID, staff: Staff, duty: StaffDuty) -> ArrivalAnswers:
    """What a pending arrival filled in, each answer under its label in the checkpoint's form (name, phone and ID number
    masked), for the approval card. Kept while the arrival waits: a decided one is 404."""
    return await duty.answers(staff, record_id)


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
    record_id: uuid.UUID, body: DecisionCreate, staff: Staff, token: BearerToken, duty: StaffDuty
) -> DecisionOut:
    """Approve (准许通行) or reject (未通过) a pending arrival at one of the caller's checkpoints; the resident hears of
    it through WeChat when they subscribed."""
    return await duty.decide(staff, record_id, body, token)


@router.post(
    "/checkins/{record_id}/remeasure",
    responses=error_responses(
        Unauthorized,
        Forbidden,
        RecordNotFound,
        NotAbnormal,
        AlreadyDecided,
        ValidationFailed,
        RegistryUnavailable,
        StateUnavailable,
        StateRebuilding,
        BrokerUnavailable,
    ),
)
async def remeasure(
    record_id: uuid.UUID, body: RemeasureCreate, staff: Staff, token: BearerToken, duty: StaffDuty
) -> Arrival:
    """复测: a fever taken again at one of the caller's checkpoints. The record keeps both readings and the later one
    decides: below the checkpoint's fever threshold it passes (waits for approval where the checkpoint audits) and the
    fever mark it set is lifted; at or above, it stays 体温异常, confirmed by staff, and marks the person everywhere.
    Answers the arrival as the boards now show it; the checkpoint's boards get it as a `remeasure` event."""
    return await duty.remeasure(staff, record_id, body, token)


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
async def enter_by_hand(checkpoint_id: int, body: HandEntryCreate, staff: Staff, checkins: Checkins) -> Response:
    """A visitor without a smartphone: name, phone or ID number, and the temperature staff measured. Staff vouch for the
    visitor themselves, so the record needs no approval; a fever still makes it 体温异常."""
    return receipt_response(await checkins.enter_by_hand(staff, checkpoint_id, body))
