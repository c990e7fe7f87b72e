from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, Principal, ResidentPrincipal, StaffPrincipal, TokenSigner
from lianfang.common.db import DbSession, utcnow
from lianfang.common.errors import NotFound, ServiceUnavailable, ValidationFailed
from lianfang.gateway.deps import Cache, PasswordHasher, Revoker, Settings, Signer
from lianfang.gateway.errors import (
    AccountDisabled,
    AccountLocked,
    InvalidCredentials,
    RefreshTokenInvalid,
    RefreshTokenReused,
)
from lianfang.gateway.loginlog.service import LoginLogService, LoginSource
from lianfang.gateway.metrics import gateway_metrics
from lianfang.gateway.models import Account, AccountRole, LoginOutcome, Resident, TokenSubject
from lianfang.gateway.passwords import Passwords
from lianfang.gateway.revocation import TokenRevoker
from lianfang.gateway.schemas import AccountOut, AdminSession, ResidentOut, ResidentSession, TokenPair
from lianfang.gateway.sessions.lockout import LoginTries
from lianfang.gateway.sessions.repository import AccountLoginRepository, RefreshTokenRepository
from lianfang.gateway.sessions.schemas import AdminLogin, PasswordChange
from lianfang.gateway.settings import GatewaySettings

__all__ = ["SessionService", "Sessions", "principal_of"]


def principal_of(account: Account) -> AdminPrincipal | StaffPrincipal:
    pending = account.must_change_password
    if account.role is AccountRole.staff:
        checkpoints = tuple(account.checkpoint_ids)
        return StaffPrincipal(
            account.id, account.region_id, account.region_path, checkpoints, must_change_password=pending
        )
    return AdminPrincipal(
        account.id,
        account.region_id,
        account.region_path,
        must_change_password=pending,
        username=account.username,
        name=account.name,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 0.999))


class SessionService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: GatewaySettings,
        signer: TokenSigner,
        cache: Redis,
        passwords: Passwords,
        revoker: TokenRevoker,
    ) -> None:
        self.session = session
        self.settings = settings
        self.signer = signer
        self.cache = cache
        self.passwords = passwords
        self.revoker = revoker
        self.accounts = AccountLoginRepository(session)
        self.tokens = RefreshTokenRepository(session)
        self.log = LoginLogService(session)

    async def issue(
        self, subject: TokenSubject, principal: Principal, *, family_id: uuid.UUID | None = None
    ) -> TokenPair:
        now = utcnow()
        refresh_token = secrets.token_urlsafe(32)
        await self.tokens.issue(
            token_hash=_digest(refresh_token),
            family_id=family_id or uuid.uuid4(),
            subject=subject,
            subject_id=principal.id,
            issued_at=now,
            expires_at=now + timedelta(days=self.settings.refresh_token_days),
        )
        return TokenPair(
            access_token=self.signer.sign(principal, now=now),
            refresh_token=refresh_token,
            expires_in=int(self.signer.lifetime.total_seconds()),
        )

    async def account_session(self, account: Account, *, family_id: uuid.UUID | None = None) -> AdminSession:
        pair = await self.issue(TokenSubject.account, principal_of(account), family_id=family_id)
        return AdminSession(
            **pair.model_dump(), account=AccountOut.of(account), must_change_password=account.must_change_password
        )

    async def resident_session(self, resident: Resident, *, family_id: uuid.UUID | None = None) -> ResidentSession:
        pair = await self.issue(TokenSubject.resident, ResidentPrincipal(resident.id), family_id=family_id)
        return ResidentSession(**pair.model_dump(), resident=ResidentOut.of(resident))

    async def login_admin(self, body: AdminLogin, source: LoginSource) -> AdminSession:
        """Counts the try before verifying it (see `lockout`): an unknown username costs and answers the same. Every
        outcome goes to the login log."""
        settings = self.settings
        username = body.username.strip()
        tries = LoginTries(self.cache, limit=settings.login_max_failures, lock_seconds=settings.login_lock_minutes * 60)
        try:
            reserved = await tries.reserve(username, source.address)
        except (RedisError, OSError) as error:
            raise ServiceUnavailable("登录暂不可用，请稍后重试", retry_after=5) from error
        account = await self.accounts.by_username(username)
        if reserved.over:
            await self.log.record(username, account, LoginOutcome.locked, source)
            raise AccountLocked(
                f"密码错误次数过多，请 {math.ceil(reserved.locked_for / 60)} 分钟后再试",
                retry_after=reserved.locked_for,
            )
        if (
            not await self.passwords.verify(account.password_hash if account else None, body.password)
            or account is None
        ):
            if reserved.left == 0:
                await tries.locked_now(username, source.address)
                gateway_metrics().lockouts.inc()
                await self.log.record(username, account, LoginOutcome.lockout, source)
                raise AccountLocked(
                    f"密码连续错误 {settings.login_max_failures} 次，账号锁定 {settings.login_lock_minutes} 分钟",
                    retry_after=settings.login_lock_minutes * 60,
                )
            await self.log.record(username, account, LoginOutcome.failed, source)
            raise InvalidCredentials(
                f"用户名或密码错误，再错 {reserved.left} 次将锁定 {settings.login_lock_minutes} 分钟"
            )
        await tries.succeeded(username, source.address)
        if account.disabled:
            await self.log.record(username, account, LoginOutcome.disabled, source)
            raise AccountDisabled("账号已停用，请联系上级管理员")
        account.last_login_at = utcnow()
        if self.passwords.needs_rehash(account.password_hash):
            account.password_hash = await self.passwords.hash(body.password)
        await self.log.record(username, account, LoginOutcome.succeeded, source)
        return await self.account_session(account)

    async def refresh(self, refresh_token: str) -> AdminSession | ResidentSession:
        now = utcnow()
        token = await self.tokens.by_hash(_digest(refresh_token))
        if token is None or token.expires_at <= now:
            raise RefreshTokenInvalid()
        if token.revoked_at is not None:
            raise RefreshTokenInvalid()
        if not await self.tokens.mark_used(token, now):
            # A used token presented again means it was copied: end every session of that chain, and the access tokens
            # of the account (whoever copied it may hold one of them).
            await self.tokens.revoke_family(token.family_id, now)
            self.revoker.after_commit(self.session, token.subject_id)
            raise RefreshTokenReused()
        if token.subject is TokenSubject.resident:
            resident = await self.session.get(Resident, token.subject_id)
            if resident is None:
                raise RefreshTokenInvalid()
            return await self.resident_session(resident, family_id=token.family_id)
        account = await self.session.get(Account, token.subject_id)
        if account is None:
            raise RefreshTokenInvalid()
        if account.disabled:
            raise AccountDisabled("账号已停用，请联系上级管理员")
        return await self.account_session(account, family_id=token.family_id)

    async def logout(self, refresh_token: str) -> None:
        token = await self.tokens.by_hash(_digest(refresh_token))
        if token is not None:
            await self.tokens.revoke_family(token.family_id, utcnow())
            # The chain's access token goes too; the account's other logins get new ones at their next refresh.
            self.revoker.after_commit(self.session, token.subject_id)

    async def me(self, principal: Principal) -> AccountOut | ResidentOut:
        if isinstance(principal, ResidentPrincipal):
            resident = await self.session.get(Resident, principal.id)
            if resident is None:
                raise NotFound("账号不存在")
            return ResidentOut.of(resident)
        account = await self.session.get(Account, principal.id)
        if account is None:
            raise NotFound("账号不存在")
        return AccountOut.of(account)

    async def change_password(self, principal: AdminPrincipal | StaffPrincipal, body: PasswordChange) -> None:
        account = await self.session.get(Account, principal.id)
        if account is None:
            raise NotFound("账号不存在")
        if not await self.passwords.verify(account.password_hash, body.old_password):
            raise ValidationFailed.field("old_password", "原密码不正确")
        if body.new_password == body.old_password:
            raise ValidationFailed.field("new_password", "新密码不能与原密码相同", "unchanged")
        account.password_hash = await self.passwords.hash(body.new_password)
        account.must_change_password = False
        await self.tokens.revoke_subject(account.id, utcnow())
        self.revoker.after_commit(self.session, account.id)


async def session_service(
    session: DbSession,
    settings: Settings,
    signer: Signer,
    cache: Cache,
    passwords: PasswordHasher,
    revoker: Revoker,
) -> SessionService:
    return SessionService(session, settings=settings, signer=signer, cache=cache, passwords=passwords, revoker=revoker)


Sessions = Annotated[SessionService, Depends(session_service)]
