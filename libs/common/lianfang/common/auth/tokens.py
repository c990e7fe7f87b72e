"""Access tokens: EdDSA (Ed25519) JWTs signed by the gateway alone, verified everywhere with the public key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from lianfang.common.auth.revocation import Revocations, to_millisecond
from lianfang.common.errors import Forbidden, Unauthorized

__all__ = [
    "AdminPrincipal",
    "PasswordChangeRequired",
    "Principal",
    "ResidentPrincipal",
    "Role",
    "StaffPrincipal",
    "TokenRevoked",
    "TokenSigner",
    "TokenVerifier",
]

_ALGORITHM = "EdDSA"
TOKEN_LEEWAY_SECONDS = 30


class TokenRevoked(Unauthorized):
    code = "token_revoked"
    title = "登录已失效（已退出登录、账号停用、密码或权限变更），请重新登录"


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"
    title = "请先修改密码：账号由上级创建或重置了密码，修改后才能使用"


class Role(StrEnum):
    admin = "admin"
    staff = "staff"
    resident = "resident"


@dataclass(frozen=True)
class AdminPrincipal:
    id: uuid.UUID
    region_id: int
    region_path: str
    role: Role = Role.admin
    # Set by a superior (a new account, a reset): nothing but changing it is allowed until then.
    must_change_password: bool = False
    # Who the admin is, as the operation log (操作日志) of every service names them without asking the gateway.
    username: str = ""
    name: str = ""


@dataclass(frozen=True)
class StaffPrincipal:
    id: uuid.UUID
    region_id: int
    region_path: str
    checkpoint_ids: tuple[int, ...]
    role: Role = Role.staff
    must_change_password: bool = False


@dataclass(frozen=True)
class ResidentPrincipal:
    id: uuid.UUID
    role: Role = Role.resident


Principal = AdminPrincipal | StaffPrincipal | ResidentPrincipal


def _claims(principal: Principal) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": str(principal.id), "role": principal.role.value}
    if isinstance(principal, AdminPrincipal | StaffPrincipal):
        claims["region_id"] = principal.region_id
        claims["region_path"] = principal.region_path
        if principal.must_change_password:
            claims["must_change_password"] = True
    if isinstance(principal, AdminPrincipal) and principal.username:
        claims["username"] = principal.username
        claims["name"] = principal.name
    if isinstance(principal, StaffPrincipal):
        claims["checkpoint_ids"] = list(principal.checkpoint_ids)
    return claims


def _principal(claims: dict[str, Any]) -> Principal:
    subject = uuid.UUID(claims["sub"])
    role = Role(claims["role"])
    must_change_password = claims.get("must_change_password") is True
    if role is Role.admin:
        return AdminPrincipal(
            subject,
            int(claims["region_id"]),
            str(claims["region_path"]),
            must_change_password=must_change_password,
            username=str(claims.get("username", "")),
            name=str(claims.get("name", "")),
        )
    if role is Role.staff:
        checkpoints = tuple(int(checkpoint) for checkpoint in claims["checkpoint_ids"])
        return StaffPrincipal(
            subject,
            int(claims["region_id"]),
            str(claims["region_path"]),
            checkpoints,
            must_change_password=must_change_password,
        )
    return ResidentPrincipal(subject)


class TokenSigner:
    def __init__(self, private_key_pem: str, *, issuer: str, lifetime: timedelta) -> None:
        # Parsed once: PyJWT would parse a PEM string again on every signature.
        key = load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("LIANFANG_JWT_PRIVATE_KEY must be an Ed25519 private key (see `lianfang keygen`)")
        self._key = key
        self._issuer = issuer
        self.lifetime = lifetime

    def sign(self, principal: Principal, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        payload = _claims(principal) | {
            "iss": self._issuer,
            # To the millisecond (RFC 7519 allows a fraction): a revocation voids what was issued before its moment.
            "iat": to_millisecond(issued.timestamp()),
            "exp": int((issued + self.lifetime).timestamp()),
            "typ": "access",
        }
        return jwt.encode(payload, self._key, algorithm=_ALGORITHM)


class TokenVerifier:
    """`revocations`, when given, voids tokens issued before their account's revocation (`auth.revocation`)."""

    def __init__(self, public_key_pem: str, *, issuer: str, revocations: Revocations | None = None) -> None:
        # Parsed once: PyJWT would parse a PEM string again on every verification.
        key = load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("LIANFANG_JWT_PUBLIC_KEY must be an Ed25519 public key (see `lianfang keygen`)")
        self._key = key
        self._issuer = issuer
        self.revocations = revocations

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                issuer=self._issuer,
                leeway=TOKEN_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("登录已过期，请重新登录") from error
        except jwt.InvalidTokenError as error:
            raise Unauthorized("登录凭证无效") from error
        if claims.get("typ") != "access":
            raise Unauthorized("登录凭证无效")
        try:
            principal = _principal(claims)
            issued_at = float(claims["iat"])
        except (KeyError, ValueError, TypeError) as error:
            raise Unauthorized("登录凭证无效") from error
        self.check_revoked(principal, issued_at)
        return principal

    def check_revoked(self, principal: Principal, issued_at: float) -> None:
        if self.revocations is not None and self.revocations.voids(str(principal.id), issued_at):
            raise TokenRevoked()
