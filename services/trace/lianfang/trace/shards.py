"""A shard of the records store that cannot be reached: a 503 naming it, not a 500.

Through a Spider read front, a query that needs an unreachable shard fails with 1429 (`Unable to connect to foreign
data source: s2`) or, on a connection the shard dropped meanwhile, 12701 (`Remote MySQL server has gone away`). A
city's own queries ask its shard alone (`Scope.city_code`) and go on answering while another shard is down.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError

from lianfang.common.errors import ServiceUnavailable
from lianfang.trace.metrics import trace_metrics

__all__ = ["ShardUnavailable", "shard_unavailable"]

_UNREACHABLE = {1429: re.compile(r"foreign data source: (\S+)"), 12701: None}


class ShardUnavailable(ServiceUnavailable):
    code = "records_shard_unavailable"
    title = "部分记录分片暂不可达，请稍后重试"


def shard_unavailable(error: DBAPIError) -> ShardUnavailable | None:
    """The problem to answer with, when the error is a shard out of reach."""
    args = getattr(error.orig, "args", ())
    if not args or args[0] not in _UNREACHABLE:
        return None
    pattern = _UNREACHABLE[args[0]]
    found = pattern.search(str(args[-1])) if pattern is not None else None
    trace_metrics().shard_unavailable(found.group(1) if found else "unknown").inc()
    shard = f"分片 {found.group(1)} " if found else "一个分片"
    return ShardUnavailable(
        f"记录库的{shard}暂不可达：需要它的查询（如全省范围）暂时无法完成，其余城市的查询不受影响", retry_after=10
    )
