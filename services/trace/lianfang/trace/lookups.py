"""What a trajectory and a contact screening ask alike: one person, a period, and the access log's record of the question."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lianfang.common.beijing import in_beijing
from lianfang.common.pii import PiiCipher
from lianfang.trace.models import AccessAction
from lianfang.trace.people import Identity, identify
from lianfang.trace.periods import Period, resolve_period
from lianfang.trace.settings import TraceSettings
from lianfang.trace.unmask import logged_as

__all__ = ["PersonAsked", "PersonLookup", "person_lookup"]


class PersonAsked(Protocol):
    @property
    def phone(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def id_card(self) -> str | None: ...
    @property
    def person_id(self) -> uuid.UUID | None: ...
    @property
    def start(self) -> datetime | None: ...
    @property
    def end(self) -> datetime | None: ...
    @property
    def unmask(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PersonLookup:
    action: AccessAction
    identity: Identity
    period: Period
    # The question as the access log keeps it: the person as shown, the period in Beijing time, then the details.
    query: dict[str, object]


def person_lookup(
    asked: PersonAsked,
    masked: AccessAction,
    *,
    settings: TraceSettings,
    pii: PiiCipher,
    details: Mapping[str, object],
    printed: bool,
) -> PersonLookup:
    """`printed`: for a report, which the access log says."""
    action = logged_as(masked, unmask=asked.unmask, reason=asked.reason, refusal="查看完整个人信息须填写事由")
    identity = identify(pii, phone=asked.phone, id_card=asked.id_card, person_id=asked.person_id, name=asked.name)
    period = resolve_period(
        asked.start, asked.end, default_days=settings.lookback_days, max_days=settings.max_period_days
    )
    query = {
        identity.kind.value: identity.shown,
        "from": in_beijing(period.start).isoformat(),
        "to": in_beijing(period.end).isoformat(),
        **details,
    } | ({"format": "pdf"} if printed else {})
    return PersonLookup(action, identity, period, query)
