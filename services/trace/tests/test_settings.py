from __future__ import annotations

import pytest
from pydantic import ValidationError

from lianfang.common.settings import Environment
from lianfang.trace.settings import TraceSettings


def test_assumed_stays_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANFANG_STAY_MINUTES", '{"hospital": 180}')
    stays = TraceSettings().stay_for_kind()
    assert (stays["hospital"], stays["community"], stays["vehicle"]) == (180, 10, 60)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown checkpoint kinds"):
        TraceSettings(stay_minutes={"spaceport": 30})


def test_a_stay_longer_than_the_pairing_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match="LIANFANG_MAX_STAY_MINUTES"):
        TraceSettings(stay_minutes={"school": 600}, max_stay_minutes=480)


def test_production_asks_for_real_databases_but_no_redis_or_broker() -> None:
    with pytest.raises(ValidationError) as refused:
        TraceSettings(env=Environment.production)
    message = str(refused.value)
    assert "LIANFANG_RECORDS_DATABASE_URL" in message
    assert "LIANFANG_TRACE_DATABASE_URL" in message
    assert "LIANFANG_REDIS_URL" not in message
    assert "LIANFANG_BROKER_URL" not in message


def test_the_access_log_is_kept_half_a_year_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    assert TraceSettings().audit_retention_days == 180
    monkeypatch.setenv("LIANFANG_AUDIT_RETENTION_DAYS", "365")
    assert TraceSettings().audit_retention_days == 365


def test_the_access_log_is_kept_at_least_as_long_as_the_default_records_retention() -> None:
    with pytest.raises(ValidationError, match="audit_retention_days"):
        TraceSettings(audit_retention_days=29)
