from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from lianfang.common.auth import CurrentStaffOrAdmin
from lianfang.common.cards import visitor_details
from lianfang.common.contracts.paths import REGISTRY
from lianfang.common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from lianfang.common.pii import mask_name
from lianfang.registry.cards.render import card_page
from lianfang.registry.cards.schemas import CardCreate
from lianfang.registry.deps import Cards

__all__ = ["router"]

router = APIRouter(prefix=REGISTRY, tags=["个人码"])
_HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "可打印的个人码卡片（A6），含二维码与脱敏姓名"}
}


@router.post(
    "/cards",
    response_class=HTMLResponse,
    responses=_HTML | error_responses(Unauthorized, Forbidden, ValidationFailed),
)
async def issue_card(body: CardCreate, _: CurrentStaffOrAdmin, cards: Cards) -> HTMLResponse:
    """A personal code (个人码) for someone without a smartphone, printed by gate staff or an administrator: the
    check-in service reads it back at any gate. Each call seals the same person anew, so a lost card is replaced by
    printing another; nothing is stored."""
    person = visitor_details(body.name, body.phone, body.id_card, name_required=True)
    card = cards.issue(person)
    return HTMLResponse(
        card_page(card, mask_name(person.name or "")),
        # The page holds a person's code: neither a proxy nor the browser's cache keeps it.
        headers={"Cache-Control": "no-store"},
    )
