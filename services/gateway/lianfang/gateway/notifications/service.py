from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Final

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.beijing import in_beijing
from lianfang.common.db import DbSession
from lianfang.common.errors import AppError
from lianfang.gateway.deps import Settings, WeChat
from lianfang.gateway.models import Resident
from lianfang.gateway.notifications.schemas import (
    CheckoutReminder,
    DecisionNotice,
    NoticeOutcome,
    RiskNotice,
    RiskNoticeOutcome,
)
from lianfang.gateway.residents.repository import ResidentRepository
from lianfang.gateway.settings import GatewaySettings
from lianfang.gateway.wechat import WeChatClient

__all__ = ["CHECKOUT_HINT", "NotificationService", "Notifications", "thing"]

logger = logging.getLogger(__name__)

# WeChat refuses a `thing` value over 20 characters (47003).
_THING_MAX: Final = 20
CHECKOUT_HINT: Final = "离开时请在小程序登记离开"


def thing(text: str) -> str:
    """A `thing` keyword's value: at most 20 characters, cut with an ellipsis."""
    text = " ".join(text.split()) or "无"
    return text if len(text) <= _THING_MAX else text[: _THING_MAX - 1] + "…"


def _time(moment: datetime) -> str:
    return in_beijing(moment).strftime("%Y-%m-%d %H:%M")


class NotificationService:
    def __init__(self, session: AsyncSession, settings: GatewaySettings, wechat: WeChatClient) -> None:
        self.settings = settings
        self.wechat = wechat
        self.residents = ResidentRepository(session)

    async def decision(self, notice: DecisionNotice) -> NoticeOutcome:
        data = {
            "thing1": thing(notice.checkpoint_name),
            "phrase2": notice.status_label[:5],
            "time3": _time(notice.decided_at),
            "thing4": thing(notice.reason or "无"),
        }
        return await self._send_one(notice.resident_id, self.settings.wechat_template_decision, data)

    async def checkout_reminder(self, reminder: CheckoutReminder) -> NoticeOutcome:
        data = {"thing1": thing(reminder.checkpoint_name), "time2": _time(reminder.checked_at), "thing3": CHECKOUT_HINT}
        return await self._send_one(reminder.resident_id, self.settings.wechat_template_checkout_reminder, data)

    async def risk(self, notice: RiskNotice) -> RiskNoticeOutcome:
        """Each resident in turn; one WeChat failure is counted and the others still get theirs."""
        template = self.settings.wechat_template_risk_notice
        data = {"thing1": notice.text, "thing2": thing(notice.region_name), "time3": _time(notice.confirmed_at)}
        counts = {"sent": 0, "not_subscribed": 0, "no_account": 0, "failed": 0}
        for resident_id in dict.fromkeys(notice.resident_ids):
            resident = await self.residents.get(resident_id)
            if resident is None:
                counts["no_account"] += 1
                continue
            if not template:
                counts["not_subscribed"] += 1
                continue
            try:
                sent = await self._send(resident, template, data)
            except AppError as error:
                logger.warning("risk notice to resident %s not sent: %s", resident_id, error.code)
                counts["failed"] += 1
                continue
            counts["sent" if sent else "not_subscribed"] += 1
        return RiskNoticeOutcome(**counts)

    async def _send_one(self, resident_id: uuid.UUID, template: str, data: dict[str, str]) -> NoticeOutcome:
        if not template:
            return NoticeOutcome(sent=False, reason="not_configured")
        resident = await self.residents.get(resident_id)
        if resident is None:
            return NoticeOutcome(sent=False, reason="no_resident")
        sent = await self._send(resident, template, data)
        return NoticeOutcome(sent=sent, reason="sent" if sent else "not_subscribed")

    async def _send(self, resident: Resident, template: str, data: dict[str, str]) -> bool:
        settings = self.settings
        return await self.wechat.send_subscribe_message(
            resident.openid, template, data, page=settings.wechat_mp_page, state=settings.wechat_mp_state
        )


async def notification_service(session: DbSession, settings: Settings, wechat: WeChat) -> NotificationService:
    return NotificationService(session, settings, wechat)


Notifications = Annotated[NotificationService, Depends(notification_service)]
