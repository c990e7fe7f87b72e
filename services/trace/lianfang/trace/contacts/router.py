from __future__ import annotations

from fastapi import APIRouter

from lianfang.common.contracts.paths import TRACE
from lianfang.common.errors import Forbidden, ServiceUnavailable, ValidationFailed, error_responses
from lianfang.trace.contacts.schemas import ContactsOut, ContactsQuery
from lianfang.trace.contacts.service import Contacts

__all__ = ["router"]

router = APIRouter(prefix=f"{TRACE}/contacts", tags=["轨迹与密接"])


@router.post("", responses=error_responses(Forbidden, ValidationFailed, ServiceUnavailable))
async def screen_contacts(body: ContactsQuery, contacts: Contacts) -> ContactsOut:
    """Everyone in the caller's subtree whose stay at a checkpoint touches one of the index person's stays there,
    widened by `window_minutes`, with each overlap (where, their time, the index time, minutes together), closest
    first; with `second_degree`, the contacts of the closest contacts from their contact on, listed apart. A stay runs
    from check-in to check-out, or lasts the checkpoint kind's assumed duration. Written to the access log."""
    return await contacts.screen(body)
