"""What the gateway built at start-up, each one a typed dependency for the providers of its services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis

from lianfang.common.auth import TokenSigner
from lianfang.common.pii import PiiCipher
from lianfang.common.state import app_state
from lianfang.gateway.passwords import Passwords
from lianfang.gateway.registry_client import RegistryClient
from lianfang.gateway.revocation import TokenRevoker
from lianfang.gateway.settings import GatewaySettings
from lianfang.gateway.wechat import WeChatClient

__all__ = ["Cache", "PasswordHasher", "Pii", "Registry", "Revoker", "Settings", "Signer", "WeChat"]

Settings = Annotated[GatewaySettings, Depends(app_state("settings"))]
Signer = Annotated[TokenSigner, Depends(app_state("signer"))]
Pii = Annotated[PiiCipher, Depends(app_state("pii"))]
Registry = Annotated[RegistryClient, Depends(app_state("registry"))]
WeChat = Annotated[WeChatClient, Depends(app_state("wechat"))]
# Login lockouts and token revocations.
Cache = Annotated[Redis, Depends(app_state("cache"))]
PasswordHasher = Annotated[Passwords, Depends(app_state("passwords"))]
Revoker = Annotated[TokenRevoker, Depends(app_state("revoker"))]
