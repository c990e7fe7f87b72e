from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from lianfang.common.contracts.regions import ROOT_REGION_ID, ROOT_REGION_PATH
from lianfang.common.db import Database
from lianfang.registry.models import Region, RegionLevel
from lianfang.registry.regions.codes import city_code_for
from lianfang.registry.regions.repository import RegionRepository
from lianfang.registry.settings import RegistrySettings

__all__ = ["ensure_root_region"]

log = logging.getLogger(__name__)


async def ensure_root_region(database: Database, settings: RegistrySettings) -> bool:
    """With no region yet, create the root province (`ROOT_REGION_ID`, named by settings). True when it did."""
    async with database.sessionmaker() as session:
        regions = RegionRepository(session)
        if await regions.any():
            return False
        code = settings.root_region_code
        session.add(
            Region(
                id=ROOT_REGION_ID,
                parent_id=None,
                name=settings.root_region_name,
                code=code,
                level=RegionLevel.province,
                path=ROOT_REGION_PATH,
                city_code=city_code_for(RegionLevel.province, code, None),
            )
        )
        try:
            await session.commit()
        except IntegrityError:  # another instance created it at the same moment
            return False
    log.info("created the root region %s (%s)", settings.root_region_name, code)
    return True
