"""What the gateway's routes get injected: the request's session and the process-wide parts built at start-up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import TokenSigner
from lianfang.common.auth.revocation import revoke
from lianfang.common.auth.tokens import TOKEN_LEEWAY_SECONDS
from lianfang.common.db import after_commit
from lianfang.common.pii import PiiCipher
from lianfang.gateway.registry_client import RegistryClient
from lianfang.gateway.settings import GatewaySettings
from lianfang.gateway.wechat import WeChatClient

__all__ = ["Gateway", "GatewayParts"]


@dataclass(frozen=True)
class GatewayParts:
    settings: GatewaySettings
    signer: TokenSigner
    pii: PiiCipher
    registry: RegistryClient
    wechat: WeChatClient
    cache: Redis

    def revoke_tokens(self, session: AsyncSession, subject: uuid.UUID) -> None:
        """Voids the access tokens `subject` holds, on every instance within seconds (`auth.revocation`), once the
        change commits: a token refreshed before the commit would still carry what the change takes away."""
        keep = self.signer.lifetime.total_seconds() + TOKEN_LEEWAY_SECONDS

        async def revoked() -> None:
            await revoke(self.cache, subject, keep_seconds=keep)

        after_commit(session, revoked)


async def _parts(request: Request) -> GatewayParts:
    parts: GatewayParts = request.app.state.parts
    return parts


Gateway = Annotated[GatewayParts, Depends(_parts)]
