"""The list of a checkpoint's recent arrivals (`keys.arrivals_key`), written with each check-in and by the rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from lianfang.checkin.keys import ARRIVALS_SECONDS, arrivals_key
from lianfang.checkin.redis_pipeline import Command

__all__ = ["arrival_commands", "arrival_score"]


def arrival_score(checked_at: datetime) -> int:
    return int(checked_at.timestamp() * 1000)


def arrival_commands(checkpoint_id: int, scored: Sequence[bytes | str | int], now: datetime) -> list[Command]:
    """Adds `score, record id, …` to the checkpoint's arrivals and drops those older than `ARRIVALS_SECONDS`."""
    key = arrivals_key(checkpoint_id)
    oldest = arrival_score(now - timedelta(seconds=ARRIVALS_SECONDS))
    return [
        ("ZADD", key, *scored),
        ("ZREMRANGEBYSCORE", key, "-inf", f"({oldest}"),
        ("EXPIRE", key, ARRIVALS_SECONDS),
    ]
