"""What the registry's routes get injected besides the request's session: the parts built at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from lianfang.registry.accounts_client import AccountsClient
from lianfang.registry.settings import RegistrySettings

__all__ = ["Registry", "RegistryParts"]


@dataclass(frozen=True)
class RegistryParts:
    settings: RegistrySettings
    # Where checkpoint configs are published for the check-in service.
    cache: Redis
    accounts: AccountsClient


async def _parts(request: Request) -> RegistryParts:
    parts: RegistryParts = request.app.state.parts
    return parts


Registry = Annotated[RegistryParts, Depends(_parts)]
