from __future__ import annotations

import pytest
from pydantic import ValidationError

from lianfang.common.settings import Environment, ServiceSettings, SigningSettings


def test_development_runs_on_memory_backends_and_development_keys() -> None:
    settings = SigningSettings()

    assert (settings.env, settings.redis_url, settings.broker_url) == (
        Environment.development,
        "memory://",
        "memory://",
    )


def test_production_names_every_setting_to_fix() -> None:
    with pytest.raises(ValidationError) as refused:
        SigningSettings(env=Environment.production)

    message = str(refused.value)
    for variable in (
        "LIANFANG_REDIS_URL",
        "LIANFANG_BROKER_URL",
        "LIANFANG_JWT_PUBLIC_KEY",
        "LIANFANG_JWT_PRIVATE_KEY",
        "LIANFANG_PII_KEY",
    ):
        assert variable in message


def test_settings_come_from_lianfang_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANFANG_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("LIANFANG_PII_KEY", "k9:" + "A" * 43)

    settings = ServiceSettings()

    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.pii_keys.startswith("k9:")
