from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from lianfang.checkin.auth import MaybeResident
from lianfang.checkin.checkpoints.schemas import CheckpointPage
from lianfang.checkin.checkpoints.service import Pages
from lianfang.checkin.checkpoints.shell import not_found_shell, page_shell
from lianfang.checkin.errors import CheckpointNotFound, RegistryUnavailable, StateRebuilding
from lianfang.common.contracts.paths import CHECKIN
from lianfang.common.errors import ServiceUnavailable, Unauthorized, error_responses

__all__ = ["router"]

router = APIRouter(prefix=CHECKIN, tags=["卡口"])


@router.get(
    "/checkpoints/{code}",
    responses=error_responses(CheckpointNotFound, Unauthorized, RegistryUnavailable, StateRebuilding),
)
async def checkpoint_page(code: str, resident: MaybeResident, pages: Pages) -> CheckpointPage:
    """The page a checkpoint's QR code opens, for anyone; a resident's token adds their prefill, whether their last
    temperature is still valid here, and a notice of a recent fever."""
    return await pages.page(code, resident)


@router.get("/checkpoints/{code}/shell", include_in_schema=False)
async def checkpoint_shell(code: str, pages: Pages) -> HTMLResponse:
    """The checkpoint's header and anonymous page as HTML, for nginx's SSI to put into `c.html`. Always 200: an unknown
    code is a page saying so; an empty body (a store out of reach) makes nginx use the page's own skeleton."""
    try:
        shell = page_shell(await pages.page(code, None))
    except CheckpointNotFound:
        shell = not_found_shell()
    except ServiceUnavailable:
        # The registry or Redis out of reach (or Redis being rebuilt): the page's own skeleton stands in.
        shell = ""
    return HTMLResponse(shell, headers={"Cache-Control": "no-store"})
