from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.db.engine import Database
from lianfang.common.errors import AppError

__all__ = ["DbSession", "after_commit", "request_session", "transaction"]

log = logging.getLogger(__name__)
AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the request's transaction has committed (never if it rolls back): caches and events must not
    announce a change the database does not hold."""
    session.info.setdefault("after_commit", []).append(callback)


async def _run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            # The change is committed and answered; a cache that missed it expires and is refilled from the database.
            log.exception("an after-commit step failed")


@asynccontextmanager
async def transaction(database: Database) -> AsyncIterator[AsyncSession]:
    """One request's session: commit when the block ends, roll back when it raises. Services never commit. An
    `AppError` that records state before refusing (`commit_session`) is committed, then raised."""
    async with database.sessionmaker() as session:
        try:
            yield session
        except AppError as error:
            if error.commit_session:
                await session.commit()
                await _run_after_commit(session)
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            await _run_after_commit(session)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's `transaction` on the service's database (`app.state.database`)."""
    async with transaction(request.app.state.database) as session:
        yield session


# `scope="function"`: the commit runs before the response is sent, so a commit that fails answers with an error instead
# of a success already on its way (FastAPI's default scope runs a dependency's exit after the response).
DbSession = Annotated[AsyncSession, Depends(request_session, scope="function")]
