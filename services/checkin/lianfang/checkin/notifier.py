"""Tells a resident the result of a staff decision on their check-in, through the gateway's subscribe message.

After the decision, in the background: the decision is answered first and never waits for WeChat, and a message that
cannot be sent is logged and given up after a few tries (the resident's receipt turns green or red by itself anyway).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

import httpx

from lianfang.checkin.checkins.schemas import CheckinRecord

__all__ = ["DecisionNotifier"]

logger = logging.getLogger(__name__)

_PATH: Final = "/api/auth/internal/notifications/decision"


@dataclass(frozen=True, slots=True)
class _Retry:
    attempts: int
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))


class DecisionNotifier:
    def __init__(self, http: httpx.AsyncClient, *, attempts: int, base_delay: float = 1.0) -> None:
        self._http = http
        self._retry = _Retry(attempts, base_delay)
        self._tasks: set[asyncio.Task[None]] = set()

    def decided(self, record: CheckinRecord, token: str) -> None:
        """Sends the message in the background; a record no resident made (entered by hand) has nobody to tell."""
        if record.resident_id is None or self._retry.attempts == 0:
            return
        body: dict[str, object] = {
            "resident_id": str(record.resident_id),
            "record_id": str(record.id),
            "checkpoint_name": record.checkpoint_name,
            "status_label": record.status_label,
            "decided_at": (record.decided_at or record.checked_at).isoformat(),
            "reason": record.reason,
        }
        task = asyncio.create_task(self._send(body, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, body: dict[str, object], token: str) -> None:
        for attempt in range(1, self._retry.attempts + 1):
            try:
                response = await self._http.post(_PATH, json=body, headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as error:
                reason = type(error).__name__
            else:
                if response.status_code < 400:
                    return
                if response.status_code < 500 and response.status_code != httpx.codes.TOO_MANY_REQUESTS:
                    logger.warning(
                        "decision notice for record %s refused: HTTP %s", body["record_id"], response.status_code
                    )
                    return
                reason = f"HTTP {response.status_code}"
            if attempt == self._retry.attempts:
                logger.warning(
                    "decision notice for record %s given up after %s tries (%s)", body["record_id"], attempt, reason
                )
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
