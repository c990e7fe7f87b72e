from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.trajectory.schemas import TrajectoryOut, TrajectoryQuery
from lianfang.trace.trajectory.service import Trajectories

__all__ = ["Person", "router"]

router = APIRouter(prefix=f"{TRACE}/people", tags=["轨迹与密接"])


Person = Annotated[TrajectoryQuery, Depends()]


@router.get("/trajectory", responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def trajectory(trajectories: Trajectories, query: Person) -> TrajectoryOut:
    """A person's visits in the caller's subtree in time order, with their stays, found by one of phone, ID number or
    resident account (by keyed hash: nothing is decrypted to search); a phone with a name is that one person, a phone
    alone everyone who gave it. The period defaults to the last 14 days (`LIANFANG_LOOKBACK_DAYS`). The person is
    masked unless `unmask=true` with a `reason`. Every query is written to the access log with its reason, never with
    its result."""
    return await trajectories.trajectory(query)
