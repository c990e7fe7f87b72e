"""A per-resident limit on check-ins, in the application: the all-in-one server has no nginx in front, and nginx's limit
counts addresses, which a household or a campus shares.

A token bucket per resident in the process's memory (no Redis round trip on the hot path): `burst` check-ins at once,
then `per_second`. With several instances a resident's share is that much per instance, still a small multiple of
what a person does (about one check-in a minute at the busiest gate).
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Final

__all__ = ["ResidentLimiter"]

_MAX_TRACKED: Final = 200_000


class ResidentLimiter:
    def __init__(self, *, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[uuid.UUID, tuple[float, float]] = {}

    def wait_seconds(self, resident: uuid.UUID, now: float | None = None) -> int:
        """0 when a check-in of `resident` may go now (and counts it), else the whole seconds until one may."""
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(resident, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[resident] = tokens, now
            return max(1, math.ceil((1 - tokens) / self.per_second))
        if len(self._buckets) >= _MAX_TRACKED:
            # Full buckets hold nothing worth keeping: whoever is dropped starts again with a full one.
            self._buckets = {key: value for key, value in self._buckets.items() if value[0] < self.burst - 1}
        self._buckets[resident] = tokens - 1, now
        return 0
