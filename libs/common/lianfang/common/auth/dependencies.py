"""FastAPI dependencies for the caller, and the one scope rule: a region's people see its subtree and nothing else."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lianfang.common.auth.tokens import (
    AdminPrincipal,
    PasswordChangeRequired,
    Principal,
    ResidentPrincipal,
    StaffPrincipal,
    TokenVerifier,
)
from lianfang.common.errors import Forbidden, Unauthorized

__all__ = [
    "BearerToken",
    "CurrentAdmin",
    "CurrentPrincipal",
    "CurrentResident",
    "CurrentSignedIn",
    "CurrentStaff",
    "CurrentStaffOrAdmin",
    "CurrentStaffOrAdminSignedIn",
    "ensure_in_scope",
    "in_scope",
    "refuse_pending_password",
    "require_resident",
    "require_staff",
]

# Dependencies are coroutines: FastAPI runs plain functions in its thread pool, a costly hop on every request.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <access_token>`")


async def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if credentials is None:
        raise Unauthorized("请先登录")
    return credentials.credentials


# The raw token, for calls to another service made on the caller's behalf (`lianfang.common.clients`).
BearerToken = Annotated[str, Depends(bearer_token)]


async def current_signed_in(request: Request, token: BearerToken) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(token)


# Any valid token, even one whose account must change a password a superior set: only for reading who one is and
# changing that password. Every other route takes `CurrentPrincipal` or narrower.
CurrentSignedIn = Annotated[Principal, Depends(current_signed_in)]


def refuse_pending_password(principal: Principal) -> None:
    if isinstance(principal, AdminPrincipal | StaffPrincipal) and principal.must_change_password:
        raise PasswordChangeRequired()


async def current_principal(principal: CurrentSignedIn) -> Principal:
    refuse_pending_password(principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_admin(principal: CurrentPrincipal) -> AdminPrincipal:
    if not isinstance(principal, AdminPrincipal):
        raise Forbidden("仅区域管理员可以执行此操作")
    return principal


def require_staff(principal: Principal) -> StaffPrincipal:
    if not isinstance(principal, StaffPrincipal):
        raise Forbidden("仅卡口执勤人员可以执行此操作")
    return principal


def require_resident(principal: Principal) -> ResidentPrincipal:
    if not isinstance(principal, ResidentPrincipal):
        raise Forbidden("仅居民账号可以执行此操作")
    return principal


async def current_staff(principal: CurrentPrincipal) -> StaffPrincipal:
    return require_staff(principal)


async def current_staff_or_admin(principal: CurrentPrincipal) -> AdminPrincipal | StaffPrincipal:
    if isinstance(principal, ResidentPrincipal):
        raise Forbidden("仅工作人员可以执行此操作")
    return principal


async def current_resident(principal: CurrentPrincipal) -> ResidentPrincipal:
    return require_resident(principal)


CurrentAdmin = Annotated[AdminPrincipal, Depends(current_admin)]
CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]
CurrentStaffOrAdmin = Annotated[AdminPrincipal | StaffPrincipal, Depends(current_staff_or_admin)]
CurrentResident = Annotated[ResidentPrincipal, Depends(current_resident)]


async def current_staff_or_admin_signed_in(principal: CurrentSignedIn) -> AdminPrincipal | StaffPrincipal:
    if isinstance(principal, ResidentPrincipal):
        raise Forbidden("仅工作人员可以执行此操作")
    return principal


CurrentStaffOrAdminSignedIn = Annotated[AdminPrincipal | StaffPrincipal, Depends(current_staff_or_admin_signed_in)]


def in_scope(scope_path: str, region_path: str) -> bool:
    """Region paths are `/1/7/42/`: a region lies in a scope when its path starts with the scope's path."""
    return region_path.startswith(scope_path)


def ensure_in_scope(principal: AdminPrincipal | StaffPrincipal, region_path: str) -> None:
    if not in_scope(principal.region_path, region_path):
        raise Forbidden("该地区不在您的管辖范围内")
