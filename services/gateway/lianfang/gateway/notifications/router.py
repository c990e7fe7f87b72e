"""Messages to residents through WeChat, asked for by the other services. Internal (nginx keeps `/api/*/internal/` off
the internet): a decision and a risk notice carry the deciding staff member's or the confirming official's forwarded
token; a check-out reminder, which no person sends, carries the service credential."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from lianfang.common.auth import CurrentAdmin, CurrentStaffOrAdmin
from lianfang.common.auth.service import require_service
from lianfang.common.contracts.paths import AUTH
from lianfang.common.errors import ServiceUnavailable, TooManyRequests, error_responses
from lianfang.gateway.notifications.schemas import (
    CheckoutReminder,
    DecisionNotice,
    NoticeOutcome,
    RiskNotice,
    RiskNoticeOutcome,
)
from lianfang.gateway.notifications.service import Notifications
from lianfang.gateway.wechat.errors import WeChatError

__all__ = ["internal_router"]

internal_router = APIRouter(prefix=f"{AUTH}/internal/notifications", tags=["内部接口"])

_wechat_errors = error_responses(TooManyRequests, ServiceUnavailable, WeChatError)


@internal_router.post("/decision", responses=_wechat_errors)
async def decision_notice(
    body: DecisionNotice, _caller: CurrentStaffOrAdmin, notifications: Notifications
) -> NoticeOutcome:
    """The approval result as the resident's subscribe message; 200 with `sent: false` when they did not subscribe."""
    return await notifications.decision(body)


@internal_router.post("/checkout-reminder", responses=_wechat_errors, dependencies=[Depends(require_service)])
async def checkout_reminder(body: CheckoutReminder, notifications: Notifications) -> NoticeOutcome:
    """离开提醒 when a stay's assumed length is over without a check-out; `sent: false` when they did not subscribe."""
    return await notifications.checkout_reminder(body)


@internal_router.post("/risk")
async def risk_notice(body: RiskNotice, _official: CurrentAdmin, notifications: Notifications) -> RiskNoticeOutcome:
    """The confirmed risk notice to each resident; a WeChat failure for one is counted, never the whole answer."""
    return await notifications.risk(body)
