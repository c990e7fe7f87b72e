from __future__ import annotations

from fastapi import APIRouter, Request, Response

from lianfang.common.auth import CurrentSignedIn, CurrentStaffOrAdminSignedIn
from lianfang.common.contracts.paths import AUTH
from lianfang.common.errors import ServiceUnavailable, ValidationFailed, error_responses
from lianfang.gateway.errors import (
    AccountDisabled,
    AccountLocked,
    InvalidCredentials,
    RefreshTokenInvalid,
    RefreshTokenReused,
)
from lianfang.gateway.loginlog.service import LoginSource
from lianfang.gateway.metrics import counted_login
from lianfang.gateway.schemas import AccountOut, AdminSession, ResidentOut, ResidentSession
from lianfang.gateway.sessions.schemas import AdminLogin, PasswordChange, RefreshRequest
from lianfang.gateway.sessions.service import Sessions

__all__ = ["router"]

router = APIRouter(prefix=AUTH, tags=["登录"])


@router.post(
    "/admin/login", responses=error_responses(InvalidCredentials, AccountLocked, AccountDisabled, ServiceUnavailable)
)
async def admin_login(body: AdminLogin, request: Request, sessions: Sessions) -> AdminSession:
    """Administrators and checkpoint staff log in with username and password. Five wrong tries from one address lock
    that username there for 15 minutes (429 with Retry-After)."""
    source = LoginSource(request.client.host if request.client else "unknown", request.headers.get("user-agent"))
    async with counted_login("admin"):
        return await sessions.login_admin(body, source)


@router.post("/refresh", responses=error_responses(RefreshTokenInvalid, RefreshTokenReused, AccountDisabled))
async def refresh(body: RefreshRequest, sessions: Sessions) -> AdminSession | ResidentSession:
    """Trade a refresh token for a new pair; each refresh token works once."""
    return await sessions.refresh(body.refresh_token)


@router.post("/logout", status_code=204)
async def logout(body: RefreshRequest, sessions: Sessions) -> Response:
    await sessions.logout(body.refresh_token)
    return Response(status_code=204)


@router.get("/me")
async def me(principal: CurrentSignedIn, sessions: Sessions) -> AccountOut | ResidentOut:
    return await sessions.me(principal)


@router.post("/me/password", status_code=204, responses=error_responses(ValidationFailed))
async def change_password(body: PasswordChange, principal: CurrentStaffOrAdminSignedIn, sessions: Sessions) -> Response:
    """Change one's own password (the one call, with `/me`, open to an account that must change it first); every
    session of the account ends, this one too: the pages log in again with the new password."""
    await sessions.change_password(principal, body)
    return Response(status_code=204)
