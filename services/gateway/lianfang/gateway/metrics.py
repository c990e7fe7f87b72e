"""What the gateway counts for the on-call: logins by kind and outcome, and accounts locked by wrong passwords."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import Final

from prometheus_client import Counter

from lianfang.common.errors import AppError
from lianfang.common.metrics import LabelledSeries
from lianfang.gateway.errors import AccountLocked

__all__ = ["LOGIN_KINDS", "LOGIN_OUTCOMES", "GatewayMetrics", "counted_login", "gateway_metrics"]

LOGIN_KINDS: Final = ("admin", "miniprogram", "h5", "dev")
# failed: wrong password, unknown user, disabled account or a refused WeChat code; locked: refused while locked (the
# attempt that locks an account counts here too).
LOGIN_OUTCOMES: Final = ("succeeded", "failed", "locked")


@dataclass(frozen=True)
class GatewayMetrics:
    logins: LabelledSeries[Counter]
    lockouts: Counter


@cache
def gateway_metrics() -> GatewayMetrics:
    metrics = GatewayMetrics(
        logins=LabelledSeries(
            Counter(
                "lianfang_logins",
                "Logins by kind (admin password, WeChat mini-program, WeChat H5, dev) and outcome",
                ["kind", "outcome"],
            )
        ),
        lockouts=Counter("lianfang_account_lockouts", "Accounts locked after too many wrong passwords"),
    )
    for kind in LOGIN_KINDS:
        for outcome in LOGIN_OUTCOMES:
            metrics.logins(kind, outcome)
    return metrics


@asynccontextmanager
async def counted_login(kind: str) -> AsyncIterator[None]:
    """Counts the login made in the block by how it ended; an unexpected error (a 500) is not a failed login."""
    logins = gateway_metrics().logins
    try:
        yield
    except AccountLocked:
        logins(kind, "locked").inc()
        raise
    except AppError:
        logins(kind, "failed").inc()
        raise
    logins(kind, "succeeded").inc()
