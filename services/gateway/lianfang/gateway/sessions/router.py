from __future__ import annotations

from fastapi import APIRouter, Request, Response

from lianfang.common.auth import CurrentPrincipal, CurrentStaffOrAdmin
from lianfang.common.contracts.paths import AUTH
from lianfang.common.db import DbSession
from lianfang.common.errors import ServiceUnavailable, ValidationFailed, error_responses
from lianfang.gateway.deps import Gateway
from lianfang.gateway.errors import (
    AccountDisabled,
    AccountLocked,
    InvalidCredentials,
    RefreshTokenInvalid,
    RefreshTokenReused,
)
from lianfang.gateway.metrics import counted_login
from lianfang.gateway.schemas import AccountOut, AdminSession, ResidentOut, ResidentSession
from lianfang.gateway.sessions.schemas import AdminLogin, PasswordChange, RefreshRequest
from lianfang.gateway.sessions.service import SessionService

__all__ = ["router"]

router = APIRouter(prefix=AUTH, tags=["登录"])


@router.post(
    "/admin/login", responses=error_responses(InvalidCredentials, AccountLocked, AccountDisabled, ServiceUnavailable)
)
async def admin_login(body: AdminLogin, request: Request, session: DbSession, parts: Gateway) -> AdminSession:
    """Administrators and checkpoint staff log in with username and password. Five wrong tries from one address lock
    that username there for 15 minutes (429 with Retry-After)."""
    address = request.client.host if request.client else "unknown"
    async with counted_login("admin"):
        return await SessionService(session, parts).login_admin(body, address)


@router.post("/refresh", responses=error_responses(RefreshTokenInvalid, RefreshTokenReused, AccountDisabled))
async def refresh(body: RefreshRequest, session: DbSession, parts: Gateway) -> AdminSession | ResidentSession:
    """Trade a refresh token for a new pair; each refresh token works once."""
    return await SessionService(session, parts).refresh(body.refresh_token)


@router.post("/logout", status_code=204)
async def logout(body: RefreshRequest, session: DbSession, parts: Gateway) -> Response:
    await SessionService(session, parts).logout(body.refresh_token)
    return Response(status_code=204)


@router.get("/me")
async def me(principal: CurrentPrincipal, session: DbSession, parts: Gateway) -> AccountOut | ResidentOut:
    return await SessionService(session, parts).me(principal)


@router.post("/me/password", status_code=204, responses=error_responses(ValidationFailed))
async def change_password(
    body: PasswordChange, principal: CurrentStaffOrAdmin, session: DbSession, parts: Gateway
) -> Response:
    """Change one's own password; every other session of the account ends."""
    await SessionService(session, parts).change_password(principal, body)
    return Response(status_code=204)
