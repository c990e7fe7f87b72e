"""The stores' databases on the cluster's MariaDB server, made once before the migrations."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from lianfang.allinone.cluster.settings import STORES

__all__ = ["create_databases"]


async def create_databases(env: Mapping[str, str]) -> None:
    for store in STORES:
        url = make_url(env[f"LIANFANG_{store.upper()}_DATABASE_URL"])
        if url.get_backend_name() != "mysql" or not url.database:
            continue
        server = create_async_engine(url.set(database=""))
        try:
            async with server.begin() as connection:
                # Asked first: `CREATE DATABASE IF NOT EXISTS` on an existing one makes the driver print a warning.
                exists = await connection.scalar(
                    text("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name"),
                    {"name": url.database},
                )
                if not exists:
                    await connection.execute(
                        text(f"CREATE DATABASE `{url.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                    )
        finally:
            await server.dispose()
