"""INSERTs compiled once per dialect and set of columns and run with plain tuples: the writer's bulk statements."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.sql.dml import Insert

from lianfang.common.contracts.records import ROLLUP_COUNTS
from lianfang.common.contracts.rollups import HOURS
from lianfang.ingest.tally import RollupRow, rollup_columns

__all__ = ["CompiledInsert", "CompiledUpsert", "compiled_insert", "compiled_upsert"]


def _compile(dialect: Dialect, statement: Insert, columns: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """An INSERT's SQL for the driver, and the columns in the order it binds them."""
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ())
    if sorted(order) != sorted(columns):
        raise RuntimeError(f"{compiled.string!r} binds {order}, not {columns}")
    return compiled.string, order


@dataclass(frozen=True, slots=True)
class CompiledInsert:
    """An INSERT compiled once per dialect and set of columns and run with plain lists, each value through its column
    type's processor for the dialect (a UUID to its stored text, a time to naive UTC): SQLAlchemy's own handling of
    each row of a 500-row batch (a dict per row, then each value) costs the writer more than the database's work."""

    sql: str
    order: tuple[str, ...]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, dialect: Dialect, table: Table, statement: Insert, columns: Sequence[str]) -> CompiledInsert:
        sql, order = _compile(dialect, statement, columns)
        processors = tuple(
            (position, process)
            for position, name in enumerate(order)
            if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        )
        return cls(sql, order, processors)

    def values(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        order, processors = self.order, self.processors
        converted = []
        for row in rows:
            values = [row[name] for name in order]
            for position, process in processors:
                if (value := values[position]) is not None:
                    values[position] = process(value)
            converted.append(tuple(values))
        return converted


_COMPILED_INSERTS: dict[tuple[str, str, tuple[str, ...]], CompiledInsert] = {}


def compiled_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> CompiledInsert:
    key = (dialect.name, table.name, columns)
    if (found := _COMPILED_INSERTS.get(key)) is None:
        found = _COMPILED_INSERTS[key] = CompiledInsert.of(dialect, table, insert(table), columns)
    return found


@dataclass(frozen=True, slots=True)
class CompiledUpsert:
    """A rollup INSERT that adds its counts to a row already there (its ancestry stays as it is), compiled once per
    dialect and set of columns like `CompiledInsert`, for the tally's tuples."""

    sql: str
    # Where each bound parameter is in a `RollupRow`, and how the time (column 1) becomes what the driver takes.
    picks: tuple[int, ...]
    time: Callable[[Any], Any] | None

    def rows(self, rows: Sequence[RollupRow]) -> list[tuple[Any, ...]]:
        picks, time = self.picks, self.time
        if time is not None:
            rows = [(row[0], time(row[1]), *row[2:]) for row in rows]
        return [tuple(row[index] for index in picks) for row in rows]


_COMPILED_UPSERTS: dict[tuple[str, str, tuple[int, ...]], CompiledUpsert] = {}


def compiled_upsert(dialect: Dialect, table: Table, kept: tuple[int, ...]) -> CompiledUpsert:
    """The upsert of `table` binding the columns at `kept` of its `RollupRow`."""
    key = (dialect.name, table.name, kept)
    if (found := _COMPILED_UPSERTS.get(key)) is not None:
        return found
    statement: Insert
    if dialect.name == "mysql":
        on_mysql = mysql.insert(table)
        statement = on_mysql.on_duplicate_key_update(
            {name: table.c[name] + on_mysql.inserted[name] for name in ROLLUP_COUNTS}
        )
    else:
        on_sqlite = sqlite.insert(table)
        statement = on_sqlite.on_conflict_do_update(
            index_elements=[column.name for column in table.primary_key.columns],
            set_={name: table.c[name] + on_sqlite.excluded[name] for name in ROLLUP_COUNTS},
        )
    names = rollup_columns("hour" if table is HOURS else "day")
    sql, order = _compile(dialect, statement, [names[index] for index in kept])
    found = _COMPILED_UPSERTS[key] = CompiledUpsert(
        sql,
        tuple(names.index(name) for name in order),
        # The dialect's own form: SQLite's `YYYY-MM-DD HH:MM:SS.ffffff` text, which its comparisons rely on.
        table.c[names[1]].type.dialect_impl(dialect).bind_processor(dialect),
    )
    return found
