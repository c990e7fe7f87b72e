"""The Asia/Shanghai day or hour a stored (UTC) time falls in, computed by the database so that statistics group in SQL
on SQLite and MySQL alike."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from lianfang.common.beijing import BEIJING_HOURS

__all__ = ["DAY", "HOUR", "shanghai_bucket"]

# The same `strftime` / `DATE_FORMAT` pattern on both: the bucket is a Shanghai wall-clock day or hour as text.
DAY: Final = "%Y-%m-%d"
HOUR: Final = "%Y-%m-%d %H"


class shanghai_bucket(FunctionElement[str]):  # noqa: N801 (named like the SQL functions it stands for)
    """`checked_at` shifted to Beijing time by its fixed offset, then truncated: the wall-clock day or hour exactly, with no
    time-zone tables in either database."""

    type = String()
    # Not cached: the pattern is rendered inline, yet a cache key sees only that there is a literal, so a cached
    # statement would carry the first query's pattern (days) into every later one (hours).
    inherit_cache = False

    def __init__(self, column: ColumnElement[Any] | InstrumentedAttribute[Any], pattern: str) -> None:
        # The pattern is rendered inline, not bound: MySQL compares a GROUP BY expression with the selected one by its
        # text, and two bound parameters would make them differ.
        super().__init__(column, literal(pattern, String()))


@compiles(shanghai_bucket, "sqlite")
def _sqlite(element: shanghai_bucket, compiler: SQLCompiler, **kw: Any) -> str:
    # The stored text cut to whole seconds first: SQLite's date functions round to the millisecond, which would put
    # 10:59:59.9999 in the hour (or the day) after.
    column, pattern = element.clauses
    kw["literal_binds"] = True
    return f"strftime({compiler.process(pattern, **kw)}, substr({compiler.process(column, **kw)}, 1, 19), '+{BEIJING_HOURS} hours')"


@compiles(shanghai_bucket, "mysql")
def _mysql(element: shanghai_bucket, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern = element.clauses
    kw["literal_binds"] = True
    return f"DATE_FORMAT({compiler.process(column, **kw)} + INTERVAL {BEIJING_HOURS} HOUR, {compiler.process(pattern, **kw)})"
