"""Who a gate keeper is by name: what a re-measured record shows beside the temperature (复测 36.6 ℃ 王卫)."""

from __future__ import annotations

import logging
from typing import Final

import httpx

__all__ = ["StaffNames"]

log = logging.getLogger(__name__)

# A gate keeper waits for the answer with the visitor in front of them.
_TIMEOUT_SECONDS: Final = 2.0


class StaffNames:
    """Asks the gateway (`GET /api/auth/me` with the staff member's own token: staff tokens carry no name). Best effort:
    without the gateway the re-measure is kept with the account id alone."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def name_of(self, token: str) -> str | None:
        try:
            response = await self._http.get(
                "/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=_TIMEOUT_SECONDS
            )
        except httpx.HTTPError as error:
            log.warning("no staff name from the gateway: %s", type(error).__name__)
            return None
        if response.status_code != httpx.codes.OK:
            log.warning("no staff name from the gateway: HTTP %s", response.status_code)
            return None
        name = response.json().get("name")
        return name[:64] if isinstance(name, str) and name else None
