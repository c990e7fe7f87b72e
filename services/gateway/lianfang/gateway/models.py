from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Enum, Index, Integer, String, Uuid, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lianfang.common.db import UTCDateTime, new_metadata, utcnow
from lianfang.common.ids import new_id
from lianfang.common.oplog import OperationEntryColumns

__all__ = [
    "Account",
    "AccountRole",
    "AccountsBase",
    "LoginEvent",
    "LoginOutcome",
    "OperationEntry",
    "RefreshToken",
    "Resident",
    "TokenSubject",
]


class AccountsBase(DeclarativeBase):
    metadata = new_metadata()


class AccountRole(StrEnum):
    admin = "admin"
    staff = "staff"


class TokenSubject(StrEnum):
    account = "account"
    resident = "resident"


class Account(AccountsBase):
    """An administrator or a checkpoint staff member, bound to one region (and staff to checkpoints in it)."""

    __tablename__ = "accounts"
    __table_args__ = (Index("ix_accounts_region_path", "region_path"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(64))
    phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[AccountRole] = mapped_column(Enum(AccountRole, native_enum=False, length=16))
    region_id: Mapped[int] = mapped_column(Integer, index=True)
    region_path: Mapped[str] = mapped_column(String(255))
    checkpoint_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # A password a superior set (a new account, a reset) is known to them: the account may only change it until then.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Resident(AccountsBase):
    """A person who checks in: keyed by WeChat openid; the phone is kept encrypted with a keyed hash to find it."""

    __tablename__ = "residents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(AccountsBase):
    """One link of a rotation chain (`family_id`): each refresh uses its token and issues the next one."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    subject: Mapped[TokenSubject] = mapped_column(Enum(TokenSubject, native_enum=False, length=16))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PrivacyConsent(AccountsBase):
    """A resident's consent to one version of the privacy notice (个人信息处理告知), kept for each version they agreed to."""

    __tablename__ = "privacy_consents"
    __table_args__ = (Index("ix_privacy_consents_resident_version", "resident_id", "notice_version", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    resident_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    notice_version: Mapped[str] = mapped_column(String(32))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginOutcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"  # a wrong password, or a username no account has (the entry then names no account)
    lockout = "lockout"  # the wrong password that locked the username at this address
    locked = "locked"  # refused unverified while locked
    disabled = "disabled"


class LoginEvent(AccountsBase):
    """One password login to the admin SPA or the staff view (登录日志): who (as typed, and the account it names, if
    any, with its region then), from where, and how it ended."""

    __tablename__ = "login_events"
    __table_args__ = (Index("ix_login_events_region_path_at", "region_path", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name: Mapped[str | None] = mapped_column(String(64))
    region_id: Mapped[int | None] = mapped_column(Integer)
    # NULL for a username no account has: only the root region's admins read those.
    region_path: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[LoginOutcome] = mapped_column(Enum(LoginOutcome, native_enum=False, length=16))
    address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class OperationEntry(OperationEntryColumns, AccountsBase):
    """操作日志 of the accounts: who created, changed, switched off or reset the password of which admin or staff."""
