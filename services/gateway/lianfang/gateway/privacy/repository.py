from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.sql.dml import Insert

from lianfang.common.db import Repository, utcnow
from lianfang.common.ids import new_id
from lianfang.gateway.models import PrivacyConsent

__all__ = ["ConsentRepository"]


class ConsentRepository(Repository[PrivacyConsent]):
    model = PrivacyConsent

    async def latest(self, resident_id: uuid.UUID) -> PrivacyConsent | None:
        statement = (
            select(PrivacyConsent)
            .where(PrivacyConsent.resident_id == resident_id)
            .order_by(PrivacyConsent.consented_at.desc())
        )
        return await self.first(statement)

    async def of_version(self, resident_id: uuid.UUID, version: str) -> PrivacyConsent | None:
        statement = select(PrivacyConsent).where(
            PrivacyConsent.resident_id == resident_id, PrivacyConsent.notice_version == version
        )
        return await self.first(statement)

    async def record(self, resident_id: uuid.UUID, version: str) -> PrivacyConsent:
        """The consent to this version, made once: agreeing again (another device, a retry) keeps the first time."""
        values = {"id": new_id(), "resident_id": resident_id, "notice_version": version, "consented_at": utcnow()}
        statement: Insert
        if self.session.get_bind().dialect.name == "mysql":
            statement = mysql.insert(PrivacyConsent).values(values).prefix_with("IGNORE")
        else:
            statement = sqlite.insert(PrivacyConsent).values(values).on_conflict_do_nothing()
        await self.session.execute(statement)
        consent = await self.of_version(resident_id, version)
        assert consent is not None
        return consent
