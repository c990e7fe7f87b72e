"""What the registry built at start-up, each one a typed dependency for the providers of its services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis

from lianfang.common.cards import PersonalCards
from lianfang.common.chinese_font import ChineseFont
from lianfang.common.state import app_state
from lianfang.registry.accounts_client import AccountsClient
from lianfang.registry.settings import RegistrySettings

__all__ = ["Accounts", "Cards", "ConfigCache", "Font", "Settings"]

Settings = Annotated[RegistrySettings, Depends(app_state("settings"))]
# Where checkpoint configs are published for the check-in service.
ConfigCache = Annotated[Redis, Depends(app_state("cache"))]
Accounts = Annotated[AccountsClient, Depends(app_state("accounts"))]
# What posters are drawn in, loaded at start-up.
Font = Annotated[ChineseFont, Depends(app_state("font"))]
# Seals personal codes (个人码) with a key derived from `LIANFANG_PII_KEY`, as the check-in service reads them.
Cards = Annotated[PersonalCards, Depends(app_state("cards"))]
