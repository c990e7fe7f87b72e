"""离开提醒: a resident who subscribed to it hears, once, that their check-in's assumed stay is over and they have not
checked out.

A check-in that opens a stay schedules its reminder in Redis in the same batch as the stay (`keys.CHECKOUT_REMINDERS_KEY`,
a sorted set by due time), a check-out removes it in the same batch as it closes the stay, and every instance looks for
due reminders every few seconds. Whoever removes a due one from the set sends it, so two instances never both do; a
restart of any instance loses nothing scheduled, and a loss of Redis nothing either: the rebuild of the gate's state
schedules the reminders of the stays it opens again (`projection.rebuild`). What it may lose, and why that is accepted,
is in docs/DESIGN-NOTES.md.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Final

from lianfang.checkin.checkins.schemas import CheckoutReminderDue
from lianfang.checkin.errors import StateUnavailable
from lianfang.checkin.keys import CHECKOUT_REMINDERS_KEY, checkout_reminder_key, checkout_reminder_member
from lianfang.checkin.notifier import Notifier
from lianfang.checkin.redis_pipeline import Command
from lianfang.checkin.state import RedisState, stored

__all__ = ["CheckoutReminders", "cancel_commands", "schedule_commands"]

logger = logging.getLogger(__name__)

# A reminder's details outlive its due time by this much: one found late (Redis or every instance down for a while) is
# still sent, and one long overdue is not kept for ever.
_KEPT_AFTER_DUE: Final = timedelta(days=1)
_BATCH: Final = 100


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def schedule_commands(reminder: CheckoutReminderDue) -> list[Command]:
    member = checkout_reminder_member(reminder.resident_id, reminder.checkpoint_id)
    seconds = max(1, int((reminder.due + _KEPT_AFTER_DUE - datetime.now(UTC)).total_seconds()))
    raw = reminder.__pydantic_serializer__.to_json(reminder)
    return [
        ("SET", checkout_reminder_key(member), raw, "EX", seconds),
        ("ZADD", CHECKOUT_REMINDERS_KEY, _ms(reminder.due), member),
    ]


def cancel_commands(resident_id: uuid.UUID, checkpoint_id: int) -> list[Command]:
    """A check-out, or a new check-in there without a subscription: the stay the reminder was for is over. Its member
    stays in the schedule until it comes due, when `send_due` finds nothing under it and drops it: one command on every
    check-in rather than two."""
    return [("DEL", checkout_reminder_key(checkout_reminder_member(resident_id, checkpoint_id)))]


class CheckoutReminders:
    def __init__(
        self,
        state: RedisState,
        notifier: Notifier,
        *,
        poll_seconds: float,
    ) -> None:
        self._state = state
        self._notifier = notifier
        self._poll_seconds = poll_seconds

    async def run(self) -> None:
        while True:
            with suppress(StateUnavailable):
                while await self.send_due(datetime.now(UTC)) == _BATCH:
                    pass
            await asyncio.sleep(self._poll_seconds)

    async def send_due(self, now: datetime) -> int:
        """Hands the reminders due by `now` to the notifier; how many were due."""
        (members,) = await self._state.execute(
            [("ZRANGEBYSCORE", CHECKOUT_REMINDERS_KEY, "-inf", _ms(now), "LIMIT", 0, _BATCH)]
        )
        assert isinstance(members, list)
        for member in members:
            assert isinstance(member, bytes)
            await self._claim(member.decode(), now)
        return len(members)

    async def _claim(self, member: str, now: datetime) -> None:
        removed, raw = await self._state.execute(
            [("ZREM", CHECKOUT_REMINDERS_KEY, member), ("GET", checkout_reminder_key(member))]
        )
        reminder = stored(CheckoutReminderDue, raw, "check-out reminder") if removed == 1 else None
        if reminder is None:
            # Another instance sent it, the resident checked out in the meantime, or it was unreadable (logged).
            return
        if reminder.due > now:
            # A new check-in there moved it after it was found due: it is not due any more.
            await self._state.execute(schedule_commands(reminder))
            return
        self._notifier.remind(reminder)
