"""Settings shared by every process, read from `LIANFANG_*` environment variables.

Each service declares its own settings class from `ServiceSettings` plus the mixins it needs (a database URL, the signing
key), so no class carries settings its process never reads. Outside development a process refuses to start with memory
backends or the development keys and says which variable to set.
"""

from __future__ import annotations

import base64
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lianfang.common.auth.devkeys import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY

__all__ = [
    "DEV_PII_KEY",
    "Environment",
    "ServiceSettings",
    "SettingsError",
    "SigningSettings",
    "WeChatMode",
]

# Development-only key, refused in production like the development JWT key.
DEV_PII_KEY = "dev:" + base64.urlsafe_b64encode(b"lianfang-development-pii-key-32b").decode()


def _pem(value: str) -> str:
    """Keys may be given on one line with `\\n` for the line breaks, as `.env` files and `lianfang keygen` write them."""
    return value.replace("\\n", "\n")


class SettingsError(ValueError):
    """Raised at start-up when a setting is unfit for the environment; the message names every variable to fix."""


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class WeChatMode(StrEnum):
    dev = "dev"
    live = "live"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANFANG_", extra="ignore")

    env: Environment = Environment.development
    log_level: str = "INFO"
    log_json: bool = True
    redis_url: str = "memory://"
    broker_url: str = "memory://"
    public_url: str = "http://localhost:8000"
    jwt_public_key: str = DEV_JWT_PUBLIC_KEY
    jwt_issuer: str = "lianfang"
    # `kid:base64key` pairs, comma separated; the first encrypts, all decrypt (key rotation).
    pii_keys: str = Field(default=DEV_PII_KEY, validation_alias="LIANFANG_PII_KEY")
    max_body_bytes: int = 1_048_576
    # How often each instance reads the revoked tokens from Redis: a revocation takes effect everywhere within this.
    revocation_refresh_seconds: float = Field(default=2.0, gt=0, le=60)

    # URL-valued fields that must not be `memory://` or SQLite in production; subclasses extend it.
    durable_urls: ClassVar[tuple[str, ...]] = ("redis_url", "broker_url")

    @field_validator("jwt_public_key")
    @classmethod
    def _pem_on_one_line(cls, value: str) -> str:
        return _pem(value)

    @model_validator(mode="after")
    def _refuse_development_setup_in_production(self) -> Self:
        if self.env is Environment.production:
            problems = self.production_problems()
            if problems:
                raise SettingsError("LIANFANG_ENV=production refuses this configuration:\n  " + "\n  ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        problems = []
        for name in self.durable_urls:
            url = str(getattr(self, name))
            if url.startswith(("memory:", "sqlite")):
                problems.append(
                    f"LIANFANG_{name.upper()} is {url!r}: set it to a real server (redis://, amqp://, mysql+asyncmy://)"
                )
        return problems + self.development_key_problems()

    def development_key_problems(self) -> list[str]:
        """The development keys are committed to the repository: fit for tests, never for a server holding real data."""
        problems = []
        if self.jwt_public_key.strip() == DEV_JWT_PUBLIC_KEY.strip():
            problems.append("LIANFANG_JWT_PUBLIC_KEY is the development key: set the public half of your own key pair")
        if any(pair.startswith("dev:") for pair in self.pii_keys.split(",")):
            problems.append("LIANFANG_PII_KEY holds the development key: set `kid:<32 random bytes, base64>`")
        return problems


class SigningSettings(ServiceSettings):
    """Settings of the process that signs tokens (the gateway, and the all-in-one server)."""

    jwt_private_key: str = DEV_JWT_PRIVATE_KEY
    access_token_minutes: int = 15
    refresh_token_days: int = 14

    @field_validator("jwt_private_key")
    @classmethod
    def _private_pem_on_one_line(cls, value: str) -> str:
        return _pem(value)

    def development_key_problems(self) -> list[str]:
        problems = super().development_key_problems()
        if self.jwt_private_key.strip() == DEV_JWT_PRIVATE_KEY.strip():
            problems.insert(
                0, "LIANFANG_JWT_PRIVATE_KEY is the development key: run `lianfang keygen` and set the private key"
            )
        return problems
