from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed
from lianfang.trace.deps import Notices, RecordsSession
from lianfang.trace.models import AccessAction
from lianfang.trace.notices.gateway import GatewayNotices
from lianfang.trace.notices.schemas import RiskNoticeCreate, RiskNoticeOut
from lianfang.trace.reader import CurrentReader, Reader
from lianfang.trace.records.repository import RecordRepository

__all__ = ["RiskNoticeService", "RiskNotices"]


class RiskNoticeService:
    def __init__(self, session: AsyncSession, reader: Reader, *, gateway: GatewayNotices) -> None:
        self.reader = reader
        self.gateway = gateway
        self.records = RecordRepository(session)

    async def send(self, body: RiskNoticeCreate) -> RiskNoticeOut:
        """The notice an official confirmed, to the people of the chosen records, all of them in the official's scope.
        Written to the access log (who confirmed it, when, to whom, with what text) before anyone is told."""
        text = " ".join(body.text.split())
        if not text:
            raise ValidationFailed.field("text", "请填写告知内容，如“请联系社区 0311-8888”", code="missing")
        if not body.confirmed:
            raise ValidationFailed.field("confirmed", "请先核对名单并确认发送", code="confirmation_required")
        record_ids = list(dict.fromkeys(body.record_ids))
        rows = await self.records.find_many(await self.reader.scope(), record_ids)
        if len(rows) != len(record_ids):
            raise Forbidden("所选人员中有不在您管辖范围内的记录")
        # A companion's or a hand-entered record has nobody to send to: their own account is not known.
        residents = list(
            dict.fromkeys(row.resident_id for row in rows if row.resident_id is not None and row.companion_of is None)
        )
        without_account = sum(1 for row in rows if row.resident_id is None or row.companion_of is not None)
        confirmed_at = datetime.now(UTC)
        query = {"record_ids": [str(record_id) for record_id in record_ids], "text": text}
        await self.reader.log(AccessAction.risk_notice, query, subject=None, reason=body.reason)
        delivery = await self._deliver(residents, text, confirmed_at)
        return RiskNoticeOut(
            recipients=len(residents) + without_account,
            sent=delivery[0],
            not_subscribed=delivery[1],
            no_account=delivery[2] + without_account,
            failed=delivery[3],
            confirmed_by=self.reader.caller.id,
            confirmed_at=confirmed_at,
        )

    async def _deliver(
        self, residents: list[uuid.UUID], text: str, confirmed_at: datetime
    ) -> tuple[int, int, int, int]:
        if not residents:
            return (0, 0, 0, 0)
        reader = self.reader
        try:
            region = await reader.directory.region(reader.caller.region_id, reader.token)
        except ServiceUnavailable:
            region = None
        delivery = await self.gateway.send(
            residents,
            text=text,
            region_name=region.name if region else "",
            confirmed_at=confirmed_at,
            token=reader.token,
        )
        return (delivery.sent, delivery.not_subscribed, delivery.no_account, delivery.failed)


async def risk_notice_service(reader: CurrentReader, session: RecordsSession, gateway: Notices) -> RiskNoticeService:
    return RiskNoticeService(session, reader, gateway=gateway)


RiskNotices = Annotated[RiskNoticeService, Depends(risk_notice_service)]
