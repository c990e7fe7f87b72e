from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from lianfang.common.contracts.events import RecordStatus
from lianfang.common.contracts.paths import TRACE
from lianfang.common.db import RowId
from lianfang.common.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.params import From, Reason, To
from lianfang.trace.records.detail import RecordDetails
from lianfang.trace.records.schemas import RecordDetail, RecordPage
from lianfang.trace.records.service import Records, RecordSearch

__all__ = ["Search", "router"]

router = APIRouter(prefix=f"{TRACE}/records", tags=["登记记录"])


def _search(
    region_id: Annotated[RowId | None, Query(description="该地区及其下级地区的记录；默认本人所属地区")] = None,
    checkpoint_id: RowId | None = None,
    start: From = None,
    end: To = None,
    status: RecordStatus | None = None,
    phone: Annotated[str | None, Query(max_length=20, description="手机号（精确匹配）")] = None,
    id_card: Annotated[str | None, Query(max_length=24, description="身份证号（精确匹配）")] = None,
    name: Annotated[str | None, Query(max_length=30, description="姓名（精确匹配）")] = None,
    outside_radius: Annotated[
        bool | None, Query(description="true：在卡口范围之外登记的（居民共享了位置时才可判断）；false：在范围之内的")
    ] = None,
) -> RecordSearch:
    return RecordSearch(
        region_id=region_id,
        checkpoint_id=checkpoint_id,
        start=start,
        end=end,
        status=status,
        phone=phone,
        id_card=id_card,
        name=name,
        outside_radius=outside_radius,
    )


# The records filter as query parameters, as the list and the exports take it.
Search = Annotated[RecordSearch, Depends(_search)]


@router.get("", responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def list_records(
    records: Records,
    search: Search,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RecordPage:
    """Records of the caller's subtree (or of a region in it), newest first, phone, ID number and name masked, with
    checkpoint and region names. The period defaults to the last `LIANFANG_MAX_PERIOD_DAYS` (92) days and may not be
    longer. A search by phone, ID number or name is written to the access log."""
    return await records.page(search, cursor=cursor, limit=limit)


@router.get("/{record_id}", responses=error_responses(NotFound, ValidationFailed, ServiceUnavailable))
async def get_record(
    record_id: uuid.UUID,
    details: RecordDetails,
    unmask: Annotated[
        bool, Query(description="显示完整的姓名、手机号、身份证号（须填写事由 reason，记入访问日志）")
    ] = False,
    reason: Reason = None,
) -> RecordDetail:
    """One record of the caller's subtree with every answer of its form, under each field's label in the version the
    person filled, personal fields masked; `unmask=true` with a `reason` shows them in full and is written to the access
    log first. A record outside the caller's subtree is 404."""
    return await details.detail(record_id, unmask=unmask, reason=reason)
