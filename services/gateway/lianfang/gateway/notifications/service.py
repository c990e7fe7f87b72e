from __future__ import annotations

from datetime import timedelta, timezone
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.gateway.deps import GatewayParts
from lianfang.gateway.notifications.schemas import DecisionNotice, NoticeOutcome
from lianfang.gateway.residents.repository import ResidentRepository

__all__ = ["NotificationService", "thing"]

_BEIJING: Final = timezone(timedelta(hours=8))
# WeChat refuses a `thing` value over 20 characters (47003).
_THING_MAX: Final = 20


def thing(text: str) -> str:
    """A `thing` keyword's value: at most 20 characters, cut with an ellipsis."""
    text = " ".join(text.split()) or "无"
    return text if len(text) <= _THING_MAX else text[: _THING_MAX - 1] + "…"


class NotificationService:
    def __init__(self, session: AsyncSession, parts: GatewayParts) -> None:
        self.parts = parts
        self.residents = ResidentRepository(session)

    async def decision(self, notice: DecisionNotice) -> NoticeOutcome:
        settings = self.parts.settings
        if not settings.wechat_template_decision:
            return NoticeOutcome(sent=False, reason="not_configured")
        resident = await self.residents.get(notice.resident_id)
        if resident is None:
            return NoticeOutcome(sent=False, reason="no_resident")
        data = {
            "thing1": thing(notice.checkpoint_name),
            "phrase2": notice.status_label[:5],
            "time3": notice.decided_at.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M"),
            "thing4": thing(notice.reason or "无"),
        }
        sent = await self.parts.wechat.send_subscribe_message(
            resident.openid,
            settings.wechat_template_decision,
            data,
            page=settings.wechat_mp_page,
            state=settings.wechat_mp_state,
        )
        return NoticeOutcome(sent=sent, reason="sent" if sent else "not_subscribed")
