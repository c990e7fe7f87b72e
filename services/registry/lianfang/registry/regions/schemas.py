from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from lianfang.common.db import RowId
from lianfang.common.validators import plain_text
from lianfang.registry.models import Region, RegionLevel

__all__ = [
    "RegionAncestor",
    "RegionCreate",
    "RegionDetail",
    "RegionNode",
    "RegionOut",
    "RegionPage",
    "RegionUpdate",
]


def _no_slash(name: str) -> str:
    if "/" in name:
        raise ValueError("名称不能包含 /（批量导入用它分隔上下级地区）")
    return name


def _blank_is_none(value: object) -> object:
    # Admin forms send an emptied field as "": that means no code.
    return None if isinstance(value, str) and not value.strip() else value


RegionName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_slash),
    AfterValidator(plain_text),
]
RegionCode = Annotated[Annotated[str, StringConstraints(strip_whitespace=True)] | None, BeforeValidator(_blank_is_none)]


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_id: RowId
    name: RegionName
    code: RegionCode = None


class RegionUpdate(BaseModel):
    """Only the fields sent change; `"code": null` removes the code. A region cannot move to another parent."""

    model_config = ConfigDict(extra="forbid")

    name: RegionName | None = None
    code: RegionCode = None


class RegionOut(BaseModel):
    id: int
    parent_id: int | None
    name: str
    code: str | None
    level: RegionLevel
    path: str
    city_code: str
    created_at: datetime
    child_count: int

    @classmethod
    def of(cls, region: Region, child_count: int) -> RegionOut:
        return cls(
            id=region.id,
            parent_id=region.parent_id,
            name=region.name,
            code=region.code,
            level=region.level,
            path=region.path,
            city_code=region.city_code,
            created_at=region.created_at,
            child_count=child_count,
        )


class RegionAncestor(BaseModel):
    id: int
    name: str
    level: RegionLevel


class RegionDetail(RegionOut):
    """A region with its ancestors from the root down, for breadcrumbs: the caller may read the names of the regions
    above its own."""

    ancestors: list[RegionAncestor]


class RegionNode(BaseModel):
    id: int
    name: str
    code: str | None
    level: RegionLevel
    children: list[RegionNode]


class RegionPage(BaseModel):
    items: list[RegionOut]
    next_cursor: str | None
