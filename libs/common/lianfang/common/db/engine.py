from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

__all__ = ["Database", "create_database"]


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout waits for the lock instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _roll_back_open_transaction(dbapi_connection: Any, record: ConnectionPoolEntry, state: PoolResetState) -> None:
    """A connection back in the pool: roll back only a transaction the server says is still open. After a commit there
    is none, and the ROLLBACK the pool would send anyway costs a round trip on every request."""
    if state.terminate_only or state.transaction_was_reset or not state.asyncio_safe:
        return
    if record.driver_connection is not None and record.driver_connection.get_transaction_status():
        dbapi_connection.rollback()


# A connection back from a request moments ago is alive; one that sat in the pool longer may have been closed by a
# server restart or a network cut, and is pinged before use (a ping on every checkout would cost a round trip per request).
IDLE_PING_SECONDS = 5.0


def _note_return(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["returned_at"] = time.monotonic()


def _ping_after_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    returned_at = record.info.get("returned_at")
    if returned_at is None or time.monotonic() - returned_at < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        # The pool drops this connection and checks out another (a new one if it must).
        raise exc.DisconnectionError(f"the pooled connection is gone: {error!r}") from error


def create_database(url: str, *, pool_size: int = 10, max_overflow: int = 20, echo: bool = False) -> Database:
    """An engine and session factory for `sqlite+aiosqlite://…` or `mysql+asyncmy://…`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    elif parsed.get_backend_name() == "mysql":
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        engine = create_async_engine(
            parsed,
            echo=echo,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=1800,  # under MySQL's wait_timeout, so no connection dies idle in the pool
            pool_reset_on_return=None,
        )
        event.listen(engine.sync_engine, "reset", _roll_back_open_transaction)
        event.listen(engine.sync_engine, "checkin", _note_return)
        event.listen(engine.sync_engine, "checkout", _ping_after_idle)
    else:
        raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}")
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False, autoflush=False))
