from __future__ import annotations

import uuid

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import TokenSigner
from lianfang.common.auth.revocation import revoke
from lianfang.common.auth.tokens import TOKEN_LEEWAY_SECONDS
from lianfang.common.db import after_commit

__all__ = ["TokenRevoker"]


class TokenRevoker:
    """Voids the access tokens a subject holds, on every instance within seconds (`auth.revocation`), once the change
    that takes something away commits: a token refreshed before the commit would still carry it."""

    def __init__(self, cache: Redis, signer: TokenSigner) -> None:
        self.cache = cache
        # Long enough that every token signed before the change has expired.
        self.keep_seconds = signer.lifetime.total_seconds() + TOKEN_LEEWAY_SECONDS

    def after_commit(self, session: AsyncSession, subject: uuid.UUID) -> None:
        async def revoked() -> None:
            await revoke(self.cache, subject, keep_seconds=self.keep_seconds)

        after_commit(session, revoked)
