from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

from sqlalchemy import Select, delete, insert, or_, select

from lianfang.common.db import Page, Repository
from lianfang.registry.models import Checkpoint, CheckpointKind, RemovedCheckpoint

__all__ = ["CheckpointRepository"]

# Bound parameters per `IN (…)`: far below SQLite's and MySQL's limits, large enough for few round trips.
_IN_CHUNK = 500


class CheckpointRepository(Repository[Checkpoint]):
    model = Checkpoint

    async def by_code(self, code: str) -> Checkpoint | None:
        return await self.first(select(Checkpoint).where(Checkpoint.code == code))

    async def insert_all(self, values: Sequence[dict[str, Any]]) -> list[Checkpoint]:
        """Many checkpoints in a few multi-row INSERTs, returned as loaded objects in no particular order. (The unit of
        work would send SQLite one statement per row, to learn each id.)"""
        if not values:
            return []
        return list(await self.session.scalars(insert(Checkpoint).returning(Checkpoint), list(values)))

    async def codes_taken(self, codes: Collection[str]) -> set[str]:
        wanted = sorted(codes)
        taken: set[str] = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            taken.update(await self.session.scalars(select(Checkpoint.code).where(Checkpoint.code.in_(chunk))))
        return taken

    async def names_in(self, region_ids: Collection[int]) -> list[tuple[int, str]]:
        """The `(region_id, name)` of every checkpoint in these regions (not below them)."""
        wanted = sorted(region_ids)
        names: list[tuple[int, str]] = []
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            rows = await self.session.execute(
                select(Checkpoint.region_id, Checkpoint.name).where(Checkpoint.region_id.in_(chunk))
            )
            names.extend((region_id, name) for region_id, name in rows)
        return names

    async def named(self, region_id: int, name: str, *, excluding: int | None = None) -> bool:
        statement = select(Checkpoint.id).where(Checkpoint.region_id == region_id, Checkpoint.name == name)
        if excluding is not None:
            statement = statement.where(Checkpoint.id != excluding)
        return await self.session.scalar(statement.limit(1)) is not None

    @staticmethod
    def _filtered(
        scope_path: str,
        *,
        kind: CheckpointKind | None = None,
        query: str | None = None,
        active: bool | None = None,
        ids: Sequence[int] | None = None,
    ) -> Select[Checkpoint]:
        statement = select(Checkpoint).where(Checkpoint.region_path.startswith(scope_path, autoescape=True))
        if ids:
            statement = statement.where(Checkpoint.id.in_(ids))
        if kind is not None:
            statement = statement.where(Checkpoint.kind == kind)
        if active is not None:
            statement = statement.where(Checkpoint.active == active)
        if query:
            statement = statement.where(
                or_(Checkpoint.name.contains(query, autoescape=True), Checkpoint.code == query.upper())
            )
        return statement

    async def page_in(
        self,
        scope_path: str,
        *,
        kind: CheckpointKind | None,
        query: str | None,
        active: bool | None,
        ids: Sequence[int] | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[Checkpoint]:
        statement = self._filtered(scope_path, kind=kind, query=query, active=active, ids=ids)
        return await self.paginate(statement, key=Checkpoint.id, cursor=cursor, limit=limit, parse=int)

    async def stream_active_in(self, scope_path: str) -> AsyncIterator[Checkpoint]:
        """Every active checkpoint under a region, in the tree's order, fetched in pages so memory stays flat."""
        statement = self._filtered(scope_path, active=True).order_by(Checkpoint.region_path, Checkpoint.id)
        result = await self.session.stream_scalars(statement.execution_options(yield_per=200))
        async for checkpoint in result:
            yield checkpoint

    async def in_scope_by_ids(self, scope_path: str, ids: Collection[int]) -> list[Checkpoint]:
        """The checkpoints among `ids` under the scope, by id."""
        wanted = sorted(set(ids))
        found: list[Checkpoint] = []
        for start in range(0, len(wanted), _IN_CHUNK):
            statement = self._filtered(scope_path, ids=wanted[start : start + _IN_CHUNK]).order_by(Checkpoint.id)
            found.extend(await self.session.scalars(statement))
        return found

    async def remove(self, checkpoints: Sequence[Checkpoint], region_names: dict[int, str], removed_by: str) -> None:
        """Deletes the checkpoints, keeping what trace names their records with."""
        if not checkpoints:
            return
        await self.session.execute(
            insert(RemovedCheckpoint),
            [
                {
                    "id": checkpoint.id,
                    "code": checkpoint.code,
                    "region_id": checkpoint.region_id,
                    "region_path": checkpoint.region_path,
                    "region_name": region_names.get(checkpoint.region_id, ""),
                    "name": checkpoint.name,
                    "kind": checkpoint.kind,
                    "removed_by": removed_by,
                }
                for checkpoint in checkpoints
            ],
        )
        ids = [checkpoint.id for checkpoint in checkpoints]
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            await self.session.execute(delete(Checkpoint).where(Checkpoint.id.in_(chunk)))
        for checkpoint in checkpoints:
            self.session.expunge(checkpoint)

    async def removed_in(self, scope_path: str, ids: Collection[int]) -> list[RemovedCheckpoint]:
        """Deleted checkpoints among `ids` under the scope."""
        wanted = sorted(set(ids))
        found: list[RemovedCheckpoint] = []
        for start in range(0, len(wanted), _IN_CHUNK):
            statement = select(RemovedCheckpoint).where(
                RemovedCheckpoint.id.in_(wanted[start : start + _IN_CHUNK]),
                RemovedCheckpoint.region_path.startswith(scope_path, autoescape=True),
            )
            found.extend(await self.session.scalars(statement))
        return found
