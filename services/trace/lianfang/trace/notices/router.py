from __future__ import annotations

from fastapi import APIRouter

from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.notices.schemas import RiskNoticeCreate, RiskNoticeOut
from lianfang.trace.notices.service import RiskNotices

__all__ = ["router"]

router = APIRouter(prefix=f"{TRACE}/contacts/notices", tags=["轨迹与密接"])


@router.post("", status_code=201, responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def send_risk_notice(body: RiskNoticeCreate, notices: RiskNotices) -> RiskNoticeOut:
    """风险告知: the "请联系 …" text an official wrote and confirmed (`confirmed: true`, else 422), sent as a subscribe
    message to the people of the chosen contact records (every one in the caller's scope, else 403) who have a WeChat
    account and subscribed; the answer counts who was sent it, who did not subscribe, and who has no account (to be
    told another way). Written to the access log with the official and the time."""
    return await notices.send(body)
