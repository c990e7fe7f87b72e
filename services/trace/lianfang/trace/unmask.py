"""Personal data in full leaves trace only with a reason, written to the access log (as `unmask`) before anything is
read: a full export, a record's detail, a trajectory, a contact screening and the reports printed from them."""

from __future__ import annotations

from collections.abc import Sequence

from lianfang.common.errors import ValidationFailed
from lianfang.common.pii import PiiCipher
from lianfang.trace.models import AccessAction
from lianfang.trace.periods import Period
from lianfang.trace.records.repository import RecordRepository, RecordRow, Sealed
from lianfang.trace.records.schemas import PersonFull, person_row

__all__ = ["logged_as", "person_in_full", "unsealed"]


def logged_as(masked: AccessAction, *, unmask: bool, reason: str | None, refusal: str) -> AccessAction:
    """The access log's action for a lookup: `masked`, or `unmask` when the answer shows the person in full, which
    needs a reason (422 on `reason` with `refusal` otherwise)."""
    if not unmask:
        return masked
    if not (reason and reason.strip()):
        raise ValidationFailed.field("reason", refusal, "missing")
    return AccessAction.unmask


def unsealed(pii: PiiCipher, sealed: Sealed) -> PersonFull:
    return PersonFull(
        name=pii.decrypt(sealed.name) if sealed.name else None,
        phone=pii.decrypt(sealed.phone) if sealed.phone else None,
        id_card=pii.decrypt(sealed.id_card) if sealed.id_card else None,
    )


async def person_in_full(
    records: RecordRepository, pii: PiiCipher, rows: Sequence[RecordRow], period: Period
) -> PersonFull | None:
    """The person the rows (oldest first, found in `period`) are about, in full, as their latest own visit has them."""
    chosen = person_row(rows)
    if chosen is None:
        return None
    sealed = (await records.sealed(period, [chosen.id])).get(chosen.id)
    return unsealed(pii, sealed) if sealed else None
