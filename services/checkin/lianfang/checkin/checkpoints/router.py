from __future__ import annotations

from fastapi import APIRouter

from lianfang.checkin.auth import MaybeResident
from lianfang.checkin.checkpoints.schemas import CheckpointPage
from lianfang.checkin.deps import Checkin
from lianfang.checkin.errors import CheckpointNotFound, RegistryUnavailable, StateRebuilding
from lianfang.common.contracts.paths import CHECKIN
from lianfang.common.errors import Unauthorized, error_responses

__all__ = ["router"]

router = APIRouter(prefix=CHECKIN, tags=["卡口"])


@router.get(
    "/checkpoints/{code}",
    responses=error_responses(CheckpointNotFound, Unauthorized, RegistryUnavailable, StateRebuilding),
)
async def checkpoint_page(code: str, resident: MaybeResident, parts: Checkin) -> CheckpointPage:
    """The page a checkpoint's QR code opens, for anyone; a resident's token adds their prefill, whether their last
    temperature is still valid here, and a notice of a recent fever."""
    return await parts.pages.page(code, resident)
