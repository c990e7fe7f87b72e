from __future__ import annotations

from fastapi import APIRouter

from lianfang.common.auth import CurrentResident
from lianfang.common.contracts.paths import AUTH
from lianfang.common.errors import Unauthorized, ValidationFailed, error_responses
from lianfang.gateway.deps import Settings
from lianfang.gateway.errors import PrivacyNoticeOutdated
from lianfang.gateway.privacy.notice import privacy_notice
from lianfang.gateway.privacy.schemas import ConsentGiven, ConsentState, PrivacyNotice
from lianfang.gateway.privacy.service import Consents

__all__ = ["router"]

router = APIRouter(prefix=AUTH, tags=["个人信息告知"])


@router.get("/privacy-notice")
async def notice(settings: Settings) -> PrivacyNotice:
    """The privacy notice, for anyone: what is collected, why, for how long (the server's retention), who sees it."""
    return privacy_notice(settings.retention_days)


@router.get("/me/privacy-consent", responses=error_responses(Unauthorized))
async def consent_state(resident: CurrentResident, consents: Consents) -> ConsentState:
    """Whether the caller has agreed to the current notice (`needed` when not: the page shows it before the form)."""
    return await consents.state(resident.id)


@router.post(
    "/me/privacy-consent",
    status_code=201,
    responses=error_responses(Unauthorized, PrivacyNoticeOutdated, ValidationFailed),
)
async def give_consent(body: ConsentGiven, resident: CurrentResident, consents: Consents) -> ConsentState:
    """The caller agrees to the notice of `version`, which must be the current one (409 when the text has changed
    since the page showed it). Agreeing again keeps the first time."""
    return await consents.consent(resident.id, body.version)
