from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lianfang.common.contracts.regions import ROOT_REGION_ID, ROOT_REGION_PATH
from lianfang.common.db import Database
from lianfang.gateway.models import Account, AccountRole
from lianfang.gateway.passwords import Passwords
from lianfang.gateway.settings import GatewaySettings

__all__ = ["ensure_root_admin"]

log = logging.getLogger(__name__)


async def ensure_root_admin(database: Database, settings: GatewaySettings) -> bool:
    """With `LIANFANG_ROOT_PASSWORD` set and no admin yet, create the root region's admin. True when it did."""
    if not settings.root_password:
        return False
    async with database.sessionmaker() as session:
        if await session.scalar(select(Account.id).where(Account.role == AccountRole.admin).limit(1)) is not None:
            return False
        session.add(
            Account(
                username=settings.root_username,
                password_hash=await Passwords(settings).hash(settings.root_password),
                name="系统管理员",
                role=AccountRole.admin,
                region_id=ROOT_REGION_ID,
                region_path=ROOT_REGION_PATH,
                checkpoint_ids=[],
                disabled=False,
                failed_logins=0,
            )
        )
        try:
            await session.commit()
        except IntegrityError:  # another instance created it at the same moment
            return False
    log.info("created the root admin %r", settings.root_username)
    return True
