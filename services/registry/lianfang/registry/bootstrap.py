from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from lianfang.common.contracts.regions import ROOT_REGION_ID, ROOT_REGION_PATH
from lianfang.common.db import Database
from lianfang.common.forms import BUILTIN_TEMPLATES
from lianfang.registry.models import Region, RegionLevel, Template, TemplateVersion
from lianfang.registry.regions.codes import city_code_for
from lianfang.registry.regions.repository import RegionRepository
from lianfang.registry.settings import RegistrySettings
from lianfang.registry.templates.repository import TemplateRepository

__all__ = ["ensure_builtin_templates", "ensure_root_region"]

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


async def ensure_builtin_templates(database: Database) -> int:
    """The built-in templates belong to the root region, so every checkpoint may use them. Returns how many it added."""
    added = 0
    async with database.sessionmaker() as session:
        templates = TemplateRepository(session)
        for builtin in BUILTIN_TEMPLATES:
            if await templates.by_builtin(builtin.slug) is not None:
                continue
            template = Template(
                region_id=ROOT_REGION_ID,
                region_path=ROOT_REGION_PATH,
                name=builtin.name,
                builtin=builtin.slug,
                latest_version=1,
            )
            session.add(template)
            await session.flush()
            fields = [field.model_dump(mode="json", exclude_none=True) for field in builtin.form.fields]
            session.add(TemplateVersion(template_id=template.id, version=1, fields=fields))
            added += 1
        try:
            await session.commit()
        except IntegrityError:  # another instance added them at the same moment
            return 0
    return added
