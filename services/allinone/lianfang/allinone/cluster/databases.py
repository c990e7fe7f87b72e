"""The stores' databases on the cluster's MariaDB server, made once before the migrations."""

from __future__ import annotations

from collections.abc import Mapping

from lianfang.allinone.cluster.settings import STORES
from lianfang.common.db.migrate import ensure_database

__all__ = ["create_databases"]


async def create_databases(env: Mapping[str, str]) -> None:
    for store in STORES:
        await ensure_database(env[f"LIANFANG_{store.upper()}_DATABASE_URL"])
