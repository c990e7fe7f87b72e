"""Query parameters several routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime

__all__ = ["From", "Reason", "To"]

# `from` is a Python keyword: the parameters are named `start` and `end` in code, `from` and `to` on the wire.
From = Annotated[
    AwareDatetime | None,
    Query(alias="from", description="开始时间（含），ISO 8601 带时区，如 2026-11-20T00:00:00+08:00"),
]
To = Annotated[AwareDatetime | None, Query(alias="to", description="结束时间（不含），默认为现在")]
Reason = Annotated[str | None, Query(max_length=200, description="查询事由，记入访问日志")]
