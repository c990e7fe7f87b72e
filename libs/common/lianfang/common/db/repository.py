from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field
from sqlalchemy import Select, Table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute

from lianfang.common.errors import ValidationFailed

__all__ = ["MAX_ID", "Page", "Repository", "RowId", "decode_cursor", "encode_cursor", "table_of"]

ModelT = TypeVar("ModelT", bound=DeclarativeBase)
ItemT = TypeVar("ItemT")


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values), default=str).encode()).decode().rstrip("=")


# Longer than any cursor this code makes (a page's last instant and the ids shown at it); longer ones are not decoded.
MAX_CURSOR_LENGTH = 4096
# The largest id a signed 64-bit column holds: a larger one is no id of ours, and SQLite cannot even bind it.
MAX_ID = 2**63 - 1
# An id a caller names in a query or a body: past MAX_ID it is refused as input (422 naming it), never looked up (a
# 404 its operation does not document, found by the fuzz run).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed.field("cursor", "分页游标无效")


def decode_cursor(cursor: str) -> list[Any]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid_cursor()
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError) as error:
        raise _invalid_cursor() from error
    if not isinstance(values, list) or not all(isinstance(value, str | int) for value in values):
        raise _invalid_cursor()
    return values


def table_of(model: type[DeclarativeBase]) -> Table:
    """A mapped class's table, for a statement on a hot path that needs none of the ORM's unit of work."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


class Repository(Generic[ModelT]):
    """All SQL of one aggregate. Repositories flush, never commit: the request's session decides."""

    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id_: Any) -> ModelT | None:
        return await self.session.get(self.model, id_)

    async def add(self, instance: ModelT) -> ModelT:
        self.session.add(instance)
        await self.session.flush()
        return instance

    async def delete(self, instance: ModelT) -> None:
        await self.session.delete(instance)
        await self.session.flush()

    async def first(self, statement: Select[ModelT]) -> ModelT | None:
        return (await self.session.scalars(statement.limit(1))).first()

    async def all(self, statement: Select[ModelT]) -> list[ModelT]:
        return list((await self.session.scalars(statement)).all())

    async def paginate(
        self,
        statement: Select[ModelT],
        *,
        key: InstrumentedAttribute[Any],
        cursor: str | None,
        limit: int,
        parse: Callable[[Any], Any] = lambda value: value,
    ) -> Page[ModelT]:
        """Newest first by a unique, creation-ordered `key` (a UUIDv7 or an auto-increment id), paged by keyset."""
        if cursor is not None:
            values = decode_cursor(cursor)
            if len(values) != 1:
                raise _invalid_cursor()
            try:
                last = parse(values[0])
            except (TypeError, ValueError, AttributeError) as error:
                raise _invalid_cursor() from error
            if isinstance(last, int) and not 0 <= last <= MAX_ID:
                raise _invalid_cursor()
            statement = statement.where(key < last)
        rows = await self.all(statement.order_by(key.desc()).limit(limit + 1))
        next_cursor = encode_cursor([str(getattr(rows[limit - 1], key.key))]) if len(rows) > limit else None
        return Page(rows[:limit], next_cursor)
