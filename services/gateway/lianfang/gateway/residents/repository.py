from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lianfang.common.db import Repository, utcnow
from lianfang.gateway.models import Resident

__all__ = ["ResidentRepository"]


class ResidentRepository(Repository[Resident]):
    model = Resident

    async def by_openid(self, openid: str) -> Resident | None:
        return await self.first(select(Resident).where(Resident.openid == openid))

    async def upsert(self, openid: str, unionid: str | None) -> Resident:
        """The resident of this openid, created on first login; two first logins at once still make one resident."""
        resident = await self.by_openid(openid)
        if resident is None:
            try:
                async with self.session.begin_nested():
                    resident = await self.add(Resident(openid=openid, unionid=unionid))
            except IntegrityError:
                resident = await self.by_openid(openid)
                assert resident is not None
        if unionid and resident.unionid != unionid:
            resident.unionid = unionid
        resident.last_login_at = utcnow()
        return resident
