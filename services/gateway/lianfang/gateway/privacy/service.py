from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.db import DbSession
from lianfang.gateway.errors import PrivacyNoticeOutdated
from lianfang.gateway.privacy.notice import VERSION
from lianfang.gateway.privacy.repository import ConsentRepository
from lianfang.gateway.privacy.schemas import ConsentState

__all__ = ["ConsentService", "Consents"]


class ConsentService:
    def __init__(self, session: AsyncSession) -> None:
        self._consents = ConsentRepository(session)

    async def state(self, resident_id: uuid.UUID) -> ConsentState:
        latest = await self._consents.latest(resident_id)
        current = await self._consents.of_version(resident_id, VERSION)
        shown = current or latest
        return ConsentState(
            current_version=VERSION,
            consented_version=latest.notice_version if latest else None,
            consented_at=shown.consented_at if shown else None,
            needed=current is None,
        )

    async def consent(self, resident_id: uuid.UUID, version: str) -> ConsentState:
        if version != VERSION:
            raise PrivacyNoticeOutdated(f"告知内容已更新（当前版本 {VERSION}），请重新阅读后确认")
        consent = await self._consents.record(resident_id, VERSION)
        return ConsentState(
            current_version=VERSION, consented_version=VERSION, consented_at=consent.consented_at, needed=False
        )


async def consent_service(session: DbSession) -> ConsentService:
    return ConsentService(session)


Consents = Annotated[ConsentService, Depends(consent_service)]
