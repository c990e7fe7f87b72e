"""What the trace routes get injected: the parts built at start-up, and a read session on the records store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from lianfang.common.db import Database
from lianfang.common.pii import PiiCipher
from lianfang.trace.directory import NameDirectory
from lianfang.trace.settings import TraceSettings
from lianfang.trace.shards import shard_unavailable

__all__ = ["RecordsSession", "Trace", "TraceParts"]


@dataclass(frozen=True)
class TraceParts:
    settings: TraceSettings
    pii: PiiCipher
    directory: NameDirectory
    records: Database
    # The access log's own store; `app.state.database` too, so `DbSession` reads it.
    audit: Database


async def _parts(request: Request) -> TraceParts:
    parts: TraceParts = request.app.state.parts
    return parts


Trace = Annotated[TraceParts, Depends(_parts)]


async def _records_session(parts: Trace) -> AsyncIterator[AsyncSession]:
    """Trace only reads the records store: one transaction per request (one consistent snapshot on MySQL), rolled back
    when the session closes. A shard out of reach answers 503 naming it."""
    async with parts.records.sessionmaker() as session:
        try:
            yield session
        except DBAPIError as error:
            if (problem := shard_unavailable(error)) is not None:
                raise problem from error
            raise


RecordsSession = Annotated[AsyncSession, Depends(_records_session)]
