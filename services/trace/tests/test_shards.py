"""A shard of the records store out of reach answers 503 naming it (the whole path runs in tests/e2e/test_shards.py)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from lianfang.trace.shards import shard_unavailable


class _DriverError(Exception):
    pass


def _failed(code: int, message: str) -> OperationalError:
    return OperationalError("SELECT …", {}, _DriverError(code, message))


def test_spider_naming_the_server_it_cannot_reach_is_a_503_naming_the_shard() -> None:
    problem = shard_unavailable(_failed(1429, "Unable to connect to foreign data source: s2"))

    assert problem is not None
    assert (problem.status, problem.code, problem.headers) == (503, "records_shard_unavailable", {"Retry-After": "10"})
    assert problem.detail is not None
    assert problem.detail.startswith("记录库的分片 s2 暂不可达")


def test_a_shard_gone_during_the_query_is_a_503_too() -> None:
    problem = shard_unavailable(_failed(12701, "Remote MySQL server has gone away"))

    assert problem is not None
    assert problem.detail is not None
    assert problem.detail.startswith("记录库的一个分片暂不可达")


def test_other_database_errors_stay_what_they_are() -> None:
    assert shard_unavailable(_failed(1054, "Unknown column 'x' in 'field list'")) is None
