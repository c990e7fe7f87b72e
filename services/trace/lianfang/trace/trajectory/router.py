from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from lianfang.common.auth import BearerToken, CurrentAdmin
from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.deps import RecordsSession, Trace
from lianfang.trace.params import From, Reason, To
from lianfang.trace.trajectory.schemas import TrajectoryOut
from lianfang.trace.trajectory.service import TrajectoryService

__all__ = ["router"]

router = APIRouter(prefix=f"{TRACE}/people", tags=["轨迹与密接"])


@router.get("/trajectory", responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def trajectory(
    admin: CurrentAdmin,
    token: BearerToken,
    session: RecordsSession,
    parts: Trace,
    phone: Annotated[str | None, Query(max_length=20, description="手机号")] = None,
    id_card: Annotated[str | None, Query(max_length=24, description="身份证号")] = None,
    person_id: Annotated[uuid.UUID | None, Query(description="居民账号（本人登记的记录）")] = None,
    start: From = None,
    end: To = None,
    reason: Reason = None,
) -> TrajectoryOut:
    """A person's visits in the caller's subtree in time order, found by one of phone, ID number or resident account
    (by keyed hash: nothing is decrypted to search). The period defaults to the last 14 days
    (`LIANFANG_LOOKBACK_DAYS`). Every query is written to the access log with its reason, never with its result."""
    return await TrajectoryService(session, parts, admin, token).trajectory(
        phone=phone, id_card=id_card, person_id=person_id, start=start, end=end, reason=reason
    )
