from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from lianfang.common.contracts.paths import AUTH
from lianfang.common.db import RowId
from lianfang.common.errors import Conflict, Forbidden, NotFound, ValidationFailed, error_responses
from lianfang.gateway.accounts.schemas import AccountCreate, AccountPage, AccountUpdate, PasswordReset
from lianfang.gateway.accounts.service import Accounts
from lianfang.gateway.errors import UsernameTaken
from lianfang.gateway.models import AccountRole
from lianfang.gateway.schemas import AccountOut

__all__ = ["router"]

router = APIRouter(prefix=f"{AUTH}/admins", tags=["账号管理"])


@router.get("", responses=error_responses(Forbidden))
async def list_accounts(
    accounts: Accounts,
    region_id: RowId | None = None,
    role: AccountRole | None = None,
    q: Annotated[str | None, Query(max_length=32)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AccountPage:
    """Admin and staff accounts in the caller's subtree (`region_id`: only that region's), newest first."""
    page = await accounts.page(region_id=region_id, role=role, query=q, cursor=cursor, limit=limit)
    return AccountPage(items=[AccountOut.of(account) for account in page.items], next_cursor=page.next_cursor)


@router.post("", status_code=201, responses=error_responses(Forbidden, UsernameTaken, ValidationFailed))
async def create_account(body: AccountCreate, accounts: Accounts) -> AccountOut:
    """Create an admin or a staff member (bound to checkpoints) in a region of the caller's subtree."""
    return AccountOut.of(await accounts.create(body))


@router.get("/{account_id}", responses=error_responses(NotFound, Forbidden))
async def get_account(account_id: uuid.UUID, accounts: Accounts) -> AccountOut:
    return AccountOut.of(await accounts.get(account_id))


@router.patch("/{account_id}", responses=error_responses(NotFound, Forbidden, Conflict, ValidationFailed))
async def update_account(
    account_id: uuid.UUID,
    body: AccountUpdate,
    accounts: Accounts,
) -> AccountOut:
    """Rename, change the phone, rebind checkpoints, disable (ends the account's sessions) or enable again."""
    return AccountOut.of(await accounts.update(account_id, body))


@router.post("/{account_id}/password", status_code=204, responses=error_responses(NotFound, Forbidden))
async def reset_password(
    account_id: uuid.UUID,
    body: PasswordReset,
    accounts: Accounts,
) -> Response:
    """Set a new password; this also lifts a lockout and ends the account's sessions."""
    await accounts.reset_password(account_id, body)
    return Response(status_code=204)
