"""The gateway's internal risk-notice call: the gateway holds the residents' openids and talks to WeChat."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Final

import httpx
from pydantic import BaseModel, ValidationError

from lianfang.common.errors import ServiceUnavailable

__all__ = ["Delivery", "GatewayNotices"]

logger = logging.getLogger(__name__)

_PATH: Final = "/api/auth/internal/notifications/risk"


class Delivery(BaseModel):
    sent: int
    not_subscribed: int
    no_account: int
    failed: int


class GatewayNotices:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send(
        self, resident_ids: list[uuid.UUID], *, text: str, region_name: str, confirmed_at: datetime, token: str
    ) -> Delivery:
        """With the official's own token: the gateway sends only for an official. 503 when it cannot answer (the
        notice is in the access log already, and the official may send it again)."""
        body = {
            "resident_ids": [str(resident_id) for resident_id in resident_ids],
            "text": text,
            "region_name": region_name,
            "confirmed_at": confirmed_at.isoformat(),
        }
        try:
            response = await self._http.post(_PATH, json=body, headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            return Delivery.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as error:
            logger.warning("risk notice not handed to the gateway: %s", error)
            raise ServiceUnavailable("暂时无法发送告知，请稍后重试", retry_after=5) from None
