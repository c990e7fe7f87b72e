from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import insert, select, update

from lianfang.common.db import Repository, table_of
from lianfang.common.ids import new_id
from lianfang.gateway.models import Account, RefreshToken, TokenSubject

__all__ = ["AccountLoginRepository", "RefreshTokenRepository"]

_ISSUE: Final = insert(table_of(RefreshToken))


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    async def issue(
        self,
        *,
        token_hash: str,
        family_id: uuid.UUID,
        subject: TokenSubject,
        subject_id: uuid.UUID,
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        """One INSERT through the table, not the session's unit of work, built once: a login is the morning rush's
        first step, and nothing reads the new row back in the request."""
        await self.session.execute(
            _ISSUE,
            {
                "id": new_id(),
                "token_hash": token_hash,
                "family_id": family_id,
                "subject": subject,
                "subject_id": subject_id,
                "issued_at": issued_at,
                "expires_at": expires_at,
            },
        )

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        return await self.first(select(RefreshToken).where(RefreshToken.token_hash == token_hash))

    async def mark_used(self, token: RefreshToken, now: datetime) -> bool:
        """False when another request used it first: the update is conditional, so only one caller wins."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_subject(self, subject_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.subject_id == subject_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class AccountLoginRepository(Repository[Account]):
    model = Account

    async def by_username(self, username: str) -> Account | None:
        return await self.first(select(Account).where(Account.username == username))
