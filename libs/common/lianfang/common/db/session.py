from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.db.engine import Database
from lianfang.common.errors import AppError

__all__ = ["DbSession", "request_session"]


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request on the service's database (`app.state.database`): commit when the route returned, roll
    back when it raised. Services never commit. An `AppError` that records state before refusing (`commit_session`) is
    committed, then raised."""
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
        except AppError as error:
            if error.commit_session:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


DbSession = Annotated[AsyncSession, Depends(request_session)]
