"""What the trace service built at start-up, each one a typed dependency for the providers of its services, and a read
session on the records store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.chinese_font import ChineseFont
from lianfang.common.db import Database
from lianfang.common.pii import PiiCipher
from lianfang.common.state import app_state
from lianfang.trace.directory import NameDirectory
from lianfang.trace.notices.gateway import GatewayNotices
from lianfang.trace.settings import TraceSettings
from lianfang.trace.shards import shard_unavailable

__all__ = ["Directory", "Font", "Notices", "Pii", "RecordsSession", "RecordsStore", "Settings", "records_session"]

Settings = Annotated[TraceSettings, Depends(app_state("settings"))]
Pii = Annotated[PiiCipher, Depends(app_state("pii"))]
Directory = Annotated[NameDirectory, Depends(app_state("directory"))]
# The records store's read side (`LIANFANG_RECORDS_READ_DATABASE_URL`); the access log's own store is `DbSession`'s.
RecordsStore = Annotated[Database, Depends(app_state("records"))]
# What reports are printed in, loaded at start-up.
Font = Annotated[ChineseFont, Depends(app_state("font"))]
Notices = Annotated[GatewayNotices, Depends(app_state("gateway"))]


@asynccontextmanager
async def records_session(records: Database) -> AsyncIterator[AsyncSession]:
    """Trace only reads the records store: one transaction (one consistent snapshot on MySQL), rolled back when the
    session closes. A shard out of reach answers 503 naming it."""
    async with records.sessionmaker() as session:
        try:
            yield session
        except DBAPIError as error:
            if (problem := shard_unavailable(error)) is not None:
                raise problem from error
            raise


async def _records_session(records: RecordsStore) -> AsyncIterator[AsyncSession]:
    """The request's read session on the records store."""
    async with records_session(records) as session:
        yield session


RecordsSession = Annotated[AsyncSession, Depends(_records_session)]
