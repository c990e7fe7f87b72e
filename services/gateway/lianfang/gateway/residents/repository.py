from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.sql.dml import Insert

from lianfang.common.db import Repository, table_of, utcnow
from lianfang.common.ids import new_id
from lianfang.gateway.models import Resident

__all__ = ["ResidentRepository"]


class ResidentRepository(Repository[Resident]):
    model = Resident

    async def by_openid(self, openid: str) -> Resident | None:
        return await self.first(select(Resident).where(Resident.openid == openid))

    async def upsert(self, openid: str, unionid: str | None) -> Resident:
        """The resident of this openid, made on its first login: one insert-or-update and one read, whether or not the
        resident exists (a login is the morning rush's first step), and two first logins at once still make one."""
        now = utcnow()
        changes = {"last_login_at": now} | ({"unionid": unionid} if unionid else {})
        values = {"id": new_id(), "openid": openid, "unionid": unionid, "created_at": now, "last_login_at": now}
        # Through the table, not the ORM's bulk path: the same statement at a fraction of the cost per login.
        table = table_of(Resident)
        statement: Insert
        if self.session.get_bind().dialect.name == "mysql":
            statement = mysql.insert(table).values(values).on_duplicate_key_update(changes)
        else:
            statement = (
                sqlite.insert(table).values(values).on_conflict_do_update(index_elements=["openid"], set_=changes)
            )
        await self.session.execute(statement)
        resident = await self.by_openid(openid)
        assert resident is not None
        return resident
