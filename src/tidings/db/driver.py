"""Statements on the processor's hot path, compiled once per dialect and run through the driver's cursor.

SQLAlchemy spends more on executing a small statement than SQLite spends running it: building
parameters, events, the result object. A `DriverStatement` is written in SQLAlchemy Core like any
other query (so it is reviewed, and compiled by the tests, for both dialects), compiled once per
dialect, and executed on the connection's own DBAPI cursor inside the caller's transaction. Only
the column types' bind and result processors still run, so values go in and come out exactly as
through SQLAlchemy (aware UTC datetimes, JSON documents).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["DriverStatement"]

_Processor = Callable[[Any], Any]
# Marks a bind parameter whose value each execution gives (not a literal of the statement).
_GIVEN = object()


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # Bind parameter names in the order of the SQL's placeholders, with their type's processor, and
    # the value (processed) of a literal the statement holds itself, else _GIVEN.
    binds: tuple[tuple[str, _Processor | None, Any], ...]
    is_positional: bool
    # For statements without literals: the given values in placeholder order, and which of them
    # (by position) go through a processor. None: use `binds`.
    values_of: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None
    processed: tuple[tuple[int, _Processor], ...]
    # One processor per selected or returned column, or () for a statement that returns nothing.
    columns: tuple[_Processor | None, ...]


class DriverStatement:
    """One statement, built per dialect name by `build`, run on the driver's cursor.

    Parameters are a mapping per row, named as the statement's `bindparam`s; every name must be
    given, even when its value is None.
    """

    def __init__(self, build: Callable[[str], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}

    def sql_for(self, dialect: Dialect) -> str:
        """The SQL the statement runs as on `dialect` (the tests compile every one for both)."""
        return self._for(dialect).sql

    def rows(self, conn: Connection, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run once and return the rows it selects or returns, each value as SQLAlchemy would give it."""
        compiled = self._for(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.sql, _parameters(compiled, parameters))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        processors = compiled.columns
        if not any(processors):
            return [tuple(row) for row in rows]
        return [
            tuple(value if process is None else process(value) for process, value in zip(processors, row))
            for row in rows
        ]

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run once per row in one driver call; returns how many rows the runs changed in all."""
        if not rows:
            return 0
        compiled = self._for(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            if len(rows) == 1:  # psycopg's executemany sets up a pipeline, which one row does not need
                cursor.execute(compiled.sql, _parameters(compiled, rows[0]))
            else:
                cursor.executemany(compiled.sql, [_parameters(compiled, row) for row in rows])
            return cursor.rowcount
        finally:
            cursor.close()

    def returning_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Run once per row and return what the runs returned, in order (rows a run skipped, such as
        an insert that met a conflict, return nothing).

        PostgreSQL runs them in one pipeline (one round trip); SQLite one after another, which costs
        it no more than a savepoint around an executemany would.
        """
        if not rows:
            return []
        compiled = self._for(conn.dialect)
        cursor = conn.connection.cursor()
        returned: list[tuple[Any, ...]] = []
        try:
            if compiled.is_positional:  # sqlite3 refuses RETURNING in executemany
                for row in rows:
                    cursor.execute(compiled.sql, _parameters(compiled, row))
                    returned += cursor.fetchall()
            else:
                cursor.executemany(compiled.sql, [_parameters(compiled, row) for row in rows], returning=True)
                while True:
                    returned += cursor.fetchall()
                    if not cursor.nextset():
                        break
        finally:
            cursor.close()
        return [tuple(row) for row in returned]

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(self._build(dialect.name), dialect)
        return compiled


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    assert names is not None, "a positional dialect names its placeholders in order"
    binds = tuple(_bind(name, compiled.binds[name], dialect) for name in names)
    values_of = None
    if all(literal is _GIVEN for _, _, literal in binds):
        getter = itemgetter(*names)
        values_of = getter if len(names) > 1 else lambda values: (getter(values),)
    processed = tuple((index, process) for index, (_, process, _) in enumerate(binds) if process is not None)
    selected = getattr(statement, "exported_columns", ())
    columns = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected)
    return _Compiled(
        sql=compiled.string,
        binds=binds,
        is_positional=compiled.positional,
        values_of=values_of,
        processed=processed,
        columns=columns,
    )


def _bind(name: str, bind: Any, dialect: Dialect) -> tuple[str, _Processor | None, Any]:
    process = bind.type.dialect_impl(dialect).bind_processor(dialect)
    if bind.required:
        return (name, process, _GIVEN)
    literal = bind.effective_value  # such as LIMIT 1
    return (name, None, literal if process is None else process(literal))


def _parameters(compiled: _Compiled, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
    if compiled.values_of is not None:
        parameters = list(compiled.values_of(values))
        for index, process in compiled.processed:
            parameters[index] = process(parameters[index])
    else:
        parameters = [
            literal if literal is not _GIVEN else values[name] if process is None else process(values[name])
            for name, process, literal in compiled.binds
        ]
    if compiled.is_positional:
        return parameters
    return dict(zip((name for name, _, _ in compiled.binds), parameters))
