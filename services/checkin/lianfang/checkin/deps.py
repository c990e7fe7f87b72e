"""What the check-in routes get injected: the parts built at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from lianfang.checkin.checkins.service import CheckinService
from lianfang.checkin.checkpoints.service import CheckpointPages
from lianfang.checkin.limits import ResidentLimiter
from lianfang.checkin.notifier import DecisionNotifier
from lianfang.checkin.settings import CheckinSettings
from lianfang.checkin.staff.service import StaffService

__all__ = ["Checkin", "CheckinParts"]


@dataclass(frozen=True)
class CheckinParts:
    settings: CheckinSettings
    pages: CheckpointPages
    checkins: CheckinService
    staff: StaffService
    limiter: ResidentLimiter
    notifier: DecisionNotifier


# A coroutine: FastAPI runs plain functions in its thread pool, a hand-off the hot path cannot afford.
async def _parts(request: Request) -> CheckinParts:
    parts: CheckinParts = request.app.state.parts
    return parts


Checkin = Annotated[CheckinParts, Depends(_parts)]
