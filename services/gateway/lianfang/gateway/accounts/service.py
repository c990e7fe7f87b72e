from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.auth import AdminPrincipal, BearerToken, CurrentAdmin, ensure_in_scope, in_scope
from lianfang.common.contracts.regions import ROOT_REGION_PATH
from lianfang.common.db import DbSession, Page, utcnow
from lianfang.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from lianfang.common.oplog import OperationAction, OperationLog, Target, describe, describe_changes
from lianfang.common.pii import PiiCipher, mask_phone
from lianfang.gateway.accounts.repository import AccountRepository
from lianfang.gateway.accounts.schemas import AccountCreate, AccountUpdate, PasswordReset
from lianfang.gateway.deps import Cache, PasswordHasher, Pii, Registry, Revoker
from lianfang.gateway.errors import UsernameTaken
from lianfang.gateway.models import Account, AccountRole, OperationEntry
from lianfang.gateway.passwords import Passwords
from lianfang.gateway.registry_client import RegionRef, RegistryClient
from lianfang.gateway.revocation import TokenRevoker
from lianfang.gateway.sessions.lockout import unlock
from lianfang.gateway.sessions.repository import RefreshTokenRepository

__all__ = ["AccountService", "Accounts"]

_ROLE_LABELS = {AccountRole.admin: "管理员", AccountRole.staff: "执勤人员"}


def _target(account: Account) -> Target:
    return Target(id=str(account.id), name=f"{account.name}（{account.username}）", region_path=account.region_path)


def _shown(account: Account) -> dict[str, str]:
    """What the operation log compares before and after a change: the phone only masked."""
    return {
        "姓名": account.name,
        "手机号": account.phone_masked or "",
        "绑定卡口": "、".join(str(checkpoint_id) for checkpoint_id in sorted(account.checkpoint_ids)),
    }


class AccountService:
    """Admins manage the admin and staff accounts of their own subtree, never above or beside it."""

    def __init__(
        self,
        session: AsyncSession,
        caller: AdminPrincipal,
        token: str,
        *,
        registry: RegistryClient,
        cache: Redis,
        pii: PiiCipher,
        passwords: Passwords,
        revoker: TokenRevoker,
    ) -> None:
        self.caller = caller
        self.token = token
        self.registry = registry
        self.cache = cache
        self.pii = pii
        self.passwords = passwords
        self.revoker = revoker
        self.accounts = AccountRepository(session)
        self.refresh_tokens = RefreshTokenRepository(session)
        self.log = OperationLog(session, OperationEntry, caller)

    async def _region(self, region_id: int) -> RegionRef:
        region = await self.registry.region(region_id, self.token)
        if region is None:
            raise ValidationFailed.field("region_id", "地区不存在", "not_found")
        ensure_in_scope(self.caller, region.path)
        return region

    async def _check_checkpoints(self, region: RegionRef, checkpoint_ids: list[int], role: AccountRole) -> list[int]:
        if role is AccountRole.admin:
            if checkpoint_ids:
                raise ValidationFailed.field("checkpoint_ids", "管理员账号不绑定卡口，请把角色设为执勤人员")
            return []
        if not checkpoint_ids:
            raise ValidationFailed.field("checkpoint_ids", "执勤人员至少绑定一个卡口", "missing")
        errors = []
        for index, checkpoint_id in enumerate(dict.fromkeys(checkpoint_ids)):
            checkpoint = await self.registry.checkpoint(checkpoint_id, self.token)
            if checkpoint is None:
                errors.append(FieldError(field=f"checkpoint_ids.{index}", message="卡口不存在", code="not_found"))
            elif not in_scope(region.path, checkpoint.region_path):
                errors.append(FieldError(field=f"checkpoint_ids.{index}", message="卡口不在该账号所属地区内"))
        if errors:
            raise ValidationFailed(errors=errors)
        return list(dict.fromkeys(checkpoint_ids))

    async def _get_in_scope(self, account_id: uuid.UUID) -> Account:
        account = await self.accounts.get(account_id)
        if account is None:
            raise NotFound("账号不存在")
        ensure_in_scope(self.caller, account.region_path)
        return account

    async def _managed(self, account_id: uuid.UUID) -> Account:
        """An account the caller may change: staff of its subtree; an admin only from strictly above (or by the root
        admin), so peers in one region cannot disable or reset each other, nor the one who made them."""
        account = await self._get_in_scope(account_id)
        if account.role is AccountRole.admin and account.id != self.caller.id:
            strictly_below = account.region_path != self.caller.region_path
            if not strictly_below and not await self._caller_is_root():
                raise Forbidden("只有上级地区的管理员可以管理同级或上级的管理员账号")
        return account

    async def _caller_is_root(self) -> bool:
        """The root admin: the root region's admin made at start-up (by nobody), not one a root admin added."""
        if self.caller.region_path != ROOT_REGION_PATH:
            return False
        caller = await self.accounts.get(self.caller.id)
        return caller is not None and caller.created_by is None

    async def create(self, body: AccountCreate) -> Account:
        region = await self._region(body.region_id)
        checkpoint_ids = await self._check_checkpoints(region, body.checkpoint_ids, body.role)
        if await self.accounts.username_taken(body.username):
            raise UsernameTaken(f"用户名 {body.username} 已被使用")
        account = Account(
            username=body.username,
            password_hash=await self.passwords.hash(body.password),
            name=body.name,
            role=body.role,
            region_id=region.id,
            region_path=region.path,
            checkpoint_ids=checkpoint_ids,
            disabled=False,
            must_change_password=True,
            failed_logins=0,
            created_by=self.caller.id,
        )
        self._set_phone(account, body.phone)
        await self.accounts.add(account)
        self.log.record(
            OperationAction.account_create,
            _target(account),
            f"角色：{_ROLE_LABELS[account.role]}；{describe(_shown(account))}",
        )
        return account

    async def page(
        self, *, region_id: int | None, role: AccountRole | None, query: str | None, cursor: str | None, limit: int
    ) -> Page[Account]:
        if region_id is not None:
            await self._region(region_id)
        return await self.accounts.page_in_scope(
            self.caller.region_path, region_id=region_id, role=role, query=query, cursor=cursor, limit=limit
        )

    async def get(self, account_id: uuid.UUID) -> Account:
        return await self._get_in_scope(account_id)

    async def update(self, account_id: uuid.UUID, body: AccountUpdate) -> Account:
        account = await self._managed(account_id)
        before = _shown(account)
        was_disabled = account.disabled
        if body.name is not None:
            account.name = body.name
        if "phone" in body.model_fields_set:
            self._set_phone(account, body.phone)
        if body.checkpoint_ids is not None:
            region = await self._region(account.region_id)
            checkpoint_ids = await self._check_checkpoints(region, body.checkpoint_ids, account.role)
            if set(checkpoint_ids) != set(account.checkpoint_ids):
                # Its tokens name the checkpoints it may see: they go, the next refresh names the new ones.
                self.revoker.after_commit(self.accounts.session, account.id)
            account.checkpoint_ids = checkpoint_ids
        if body.disabled is not None and body.disabled != account.disabled:
            if account.id == self.caller.id:
                raise Conflict("不能停用自己的账号")
            account.disabled = body.disabled
            if body.disabled:
                await self.refresh_tokens.revoke_subject(account.id, utcnow())
                self.revoker.after_commit(self.accounts.session, account.id)
        await self.accounts.session.flush()
        self._log_update(account, before, was_disabled)
        return account

    def _log_update(self, account: Account, before: dict[str, str], was_disabled: bool) -> None:
        """A switch on or off is named by its own action; a PATCH that changes nothing is not logged."""
        changed = describe_changes(before, _shown(account))
        if account.disabled != was_disabled:
            action = OperationAction.account_disable if account.disabled else OperationAction.account_enable
        elif changed:
            action = OperationAction.account_update
        else:
            return
        self.log.record(action, _target(account), changed)

    async def reset_password(self, account_id: uuid.UUID, body: PasswordReset) -> None:
        account = await self._managed(account_id)
        account.password_hash = await self.passwords.hash(body.password)
        # Someone else's password is now known to the caller; one's own is not.
        account.must_change_password = account.id != self.caller.id
        lifted = await unlock(self.cache, account.username)
        self.log.record(
            OperationAction.account_password_reset,
            _target(account),
            "设置了新密码" + ("，并清除了登录错误次数与锁定" if lifted else ""),
        )
        await self.refresh_tokens.revoke_subject(account.id, utcnow())
        self.revoker.after_commit(self.accounts.session, account.id)

    def _set_phone(self, account: Account, phone: str | None) -> None:
        account.phone_encrypted = self.pii.encrypt(phone) if phone else None
        account.phone_masked = mask_phone(phone) if phone else None


async def account_service(
    admin: CurrentAdmin,
    token: BearerToken,
    session: DbSession,
    registry: Registry,
    cache: Cache,
    pii: Pii,
    passwords: PasswordHasher,
    revoker: Revoker,
) -> AccountService:
    return AccountService(
        session, admin, token, registry=registry, cache=cache, pii=pii, passwords=passwords, revoker=revoker
    )


Accounts = Annotated[AccountService, Depends(account_service)]
