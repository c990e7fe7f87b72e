"""Tells residents things through the gateway's subscribe messages: the result of a staff decision on their check-in,
and the 离开提醒 when their stay's assumed length is over.

In the background: the decision is answered first and never waits for WeChat, and a message that cannot be sent is
logged and given up after a few tries with growing pauses (the resident's receipt turns green or red by itself anyway).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import httpx

from lianfang.checkin.checkins.schemas import CheckinRecord, CheckoutReminderDue

__all__ = ["Notifier"]

logger = logging.getLogger(__name__)

_DECISION_PATH: Final = "/api/auth/internal/notifications/decision"
_REMINDER_PATH: Final = "/api/auth/internal/notifications/checkout-reminder"


@dataclass(frozen=True, slots=True)
class _Retry:
    attempts: int
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))


class Notifier:
    """`service_headers` carry the service credential of the messages no person sends (the reminders)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        attempts: int,
        base_delay: float = 1.0,
        service_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._http = http
        self._retry = _Retry(attempts, base_delay)
        self._service_headers = dict(service_headers or {})
        self._tasks: set[asyncio.Task[None]] = set()

    def decided(self, record: CheckinRecord, token: str) -> None:
        """Sends the message in the background; a record no resident made (entered by hand) has nobody to tell."""
        if record.resident_id is None:
            return
        body: dict[str, object] = {
            "resident_id": str(record.resident_id),
            "record_id": str(record.id),
            "checkpoint_name": record.checkpoint_name,
            "status_label": record.status_label,
            "decided_at": (record.decided_at or record.checked_at).isoformat(),
            "reason": record.reason,
        }
        self._start(_DECISION_PATH, body, {"Authorization": f"Bearer {token}"}, f"decision notice for {record.id}")

    def remind(self, reminder: CheckoutReminderDue) -> None:
        body: dict[str, object] = {
            "resident_id": str(reminder.resident_id),
            "checkpoint_name": reminder.checkpoint_name,
            "checked_at": reminder.checked_at.isoformat(),
        }
        what = f"check-out reminder for resident {reminder.resident_id} at checkpoint {reminder.checkpoint_id}"
        self._start(_REMINDER_PATH, body, self._service_headers, what)

    def _start(self, path: str, body: dict[str, object], headers: Mapping[str, str], what: str) -> None:
        if self._retry.attempts == 0:
            return
        task = asyncio.create_task(self._send(path, body, headers, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, path: str, body: dict[str, object], headers: Mapping[str, str], what: str) -> None:
        for attempt in range(1, self._retry.attempts + 1):
            try:
                response = await self._http.post(path, json=body, headers=headers)
            except httpx.HTTPError as error:
                reason = type(error).__name__
            else:
                if response.status_code < 400:
                    return
                if response.status_code < 500 and response.status_code != httpx.codes.TOO_MANY_REQUESTS:
                    logger.warning("%s refused: HTTP %s", what, response.status_code)
                    return
                reason = f"HTTP {response.status_code}"
            if attempt == self._retry.attempts:
                logger.warning("%s given up after %s tries (%s)", what, attempt, reason)
                return
            await asyncio.sleep(self._retry.delay(attempt))

    async def drain(self) -> None:
        """Waits for the messages under way (tests; a stopping instance cancels them instead)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
