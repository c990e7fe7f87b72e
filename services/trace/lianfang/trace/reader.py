"""Who reads the records store, and what every read of it works with: one value per request for the services that search
records, follow people and log the looking."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from lianfang.common.auth import AdminPrincipal, BearerToken, CurrentAdmin
from lianfang.common.pii import PiiCipher
from lianfang.trace.audit.service import AccessLog, AccessLogWriter
from lianfang.trace.deps import Directory, Pii, Settings
from lianfang.trace.directory import CheckpointInfo, NameDirectory
from lianfang.trace.models import AccessAction
from lianfang.trace.people import Identity
from lianfang.trace.scope import Scope, scope_for
from lianfang.trace.settings import TraceSettings

__all__ = ["CurrentReader", "Reader"]


@dataclass(frozen=True, slots=True)
class Reader:
    caller: AdminPrincipal
    # The caller's own token: the registry answers names within the caller's rights.
    token: str
    settings: TraceSettings
    pii: PiiCipher
    directory: NameDirectory
    access_log: AccessLog

    async def scope(self, region_id: int | None = None) -> Scope:
        """The caller's own scope, or a region below it (403 outside it, 422 when there is no such region)."""
        return await scope_for(self.caller, region_id, self.directory, self.token)

    async def checkpoints(self, checkpoint_ids: Iterable[int]) -> dict[int, CheckpointInfo]:
        return await self.directory.checkpoints(checkpoint_ids, self.token)

    async def log(
        self, action: AccessAction, query: dict[str, Any], *, subject: Identity | None, reason: str | None
    ) -> None:
        await self.access_log.record(self.caller, action, query, subject=subject, reason=reason)


async def _reader(
    admin: CurrentAdmin,
    token: BearerToken,
    settings: Settings,
    pii: Pii,
    directory: Directory,
    access_log: AccessLogWriter,
) -> Reader:
    return Reader(admin, token, settings, pii, directory, access_log)


CurrentReader = Annotated[Reader, Depends(_reader)]
