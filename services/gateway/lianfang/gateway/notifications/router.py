"""Messages to residents through WeChat, asked for by the other services: the check-in service after a staff decision.
Internal (nginx keeps `/api/*/internal/` off the internet), and the deciding staff member's token is forwarded."""

from __future__ import annotations

from fastapi import APIRouter

from lianfang.common.auth import CurrentStaffOrAdmin
from lianfang.common.contracts.paths import AUTH
from lianfang.common.db import DbSession
from lianfang.common.errors import ServiceUnavailable, TooManyRequests, error_responses
from lianfang.gateway.deps import Gateway
from lianfang.gateway.notifications.schemas import DecisionNotice, NoticeOutcome
from lianfang.gateway.notifications.service import NotificationService
from lianfang.gateway.wechat.errors import WeChatError

__all__ = ["internal_router"]

internal_router = APIRouter(prefix=f"{AUTH}/internal/notifications", tags=["内部接口"])


@internal_router.post("/decision", responses=error_responses(TooManyRequests, ServiceUnavailable, WeChatError))
async def decision_notice(
    body: DecisionNotice, _caller: CurrentStaffOrAdmin, session: DbSession, parts: Gateway
) -> NoticeOutcome:
    """The approval result as the resident's subscribe message; 200 with `sent: false` when they did not subscribe."""
    return await NotificationService(session, parts).decision(body)
