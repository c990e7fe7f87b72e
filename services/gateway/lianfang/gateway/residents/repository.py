from __future__ import annotations

from typing import Final

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.sql.dml import Insert

from lianfang.common.db import Repository, table_of, utcnow
from lianfang.common.ids import new_id
from lianfang.gateway.models import Resident

__all__ = ["ResidentRepository"]

_RESIDENTS: Final = table_of(Resident)


def _upsert(dialect: str) -> Insert:
    """A login's insert-or-update: a new resident gets every value, a known one the login time (and the unionid when
    WeChat sent one)."""
    if dialect == "mysql":
        on_mysql = mysql.insert(_RESIDENTS)
        return on_mysql.on_duplicate_key_update(
            last_login_at=on_mysql.inserted.last_login_at,
            unionid=func.coalesce(on_mysql.inserted.unionid, _RESIDENTS.c.unionid),
        )
    on_sqlite = sqlite.insert(_RESIDENTS)
    return on_sqlite.on_conflict_do_update(
        index_elements=["openid"],
        set_={
            "last_login_at": on_sqlite.excluded.last_login_at,
            "unionid": func.coalesce(on_sqlite.excluded.unionid, _RESIDENTS.c.unionid),
        },
    )


# A login is the morning rush's first step: its statements are built once, and each login only binds its values (building
# them anew cost a third of a login's CPU).
_UPSERTS: Final = {dialect: _upsert(dialect) for dialect in ("mysql", "sqlite")}
_BY_OPENID: Final[Select[Resident]] = select(Resident).where(Resident.openid == bindparam("openid")).limit(1)


class ResidentRepository(Repository[Resident]):
    model = Resident

    async def by_openid(self, openid: str) -> Resident | None:
        return (await self.session.scalars(_BY_OPENID, {"openid": openid})).first()

    async def upsert(self, openid: str, unionid: str | None) -> Resident:
        """The resident of this openid, made on its first login: one insert-or-update and one read, whether or not the
        resident exists, and two first logins at once still make one."""
        now = utcnow()
        values = {"id": new_id(), "openid": openid, "unionid": unionid, "created_at": now, "last_login_at": now}
        await self.session.execute(_UPSERTS[self.session.get_bind().dialect.name], values)
        resident = await self.by_openid(openid)
        assert resident is not None
        return resident
