"""The few statements whose SQL differs between SQLite and PostgreSQL, and cheap savepoints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import JSON, ColumnElement, String, Table, any_, bindparam, func, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.expression import Select

__all__ = [
    "insert_from_select",
    "insert_ignoring_conflicts",
    "insert_ignoring_conflicts_statement",
    "insert_many_ignoring_conflicts",
    "one_of",
    "savepoint",
    "upsert",
    "upsert_many",
    "upsert_statement",
]


def one_of(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the list bound as `name`, with the same SQL however long the list is
    (so a statement compiles once): a JSON array read by `json_each` on SQLite, an array on PostgreSQL."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(String)))
    values = func.json_each(bindparam(name, type_=JSON)).table_valued("value")
    return column.in_(select(values.c.value))


def insert_from_select(conn: Connection, table: Table, columns: Sequence[str], query: Select[Any]) -> None:
    """INSERT INTO `table` (`columns`) SELECT `query`, for a SELECT that scans a large table.

    PostgreSQL never runs the SELECT of an INSERT in parallel, but it does that of a CREATE TABLE
    ... AS: there the rows are selected into a scratch temporary table first, then copied.
    """
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert().from_select(list(columns), query))
        return
    scratch = "insert_from_select_rows"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {scratch}")
    conn.execute(_CreateTemporaryTableAs(scratch, query))
    copied = select(*(sql_column(name) for name in columns)).select_from(sql_table(scratch))
    conn.execute(table.insert().from_select(list(columns), copied))
    conn.exec_driver_sql(f"DROP TABLE {scratch}")


class _CreateTemporaryTableAs(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, name: str, query: Select[Any]) -> None:
        self.name = name
        self.query = query


@compiles(_CreateTemporaryTableAs)
def _compile_create_temporary_table_as(
    element: _CreateTemporaryTableAs, compiler: SQLCompiler, **kw: Any
) -> str:
    return f"CREATE TEMPORARY TABLE {element.name} ON COMMIT DROP AS {compiler.process(element.query, **kw)}"


def insert_ignoring_conflicts_statement(table: Table, dialect: str) -> Insert:
    """An insert into `table` that skips a row which would break a unique constraint."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).on_conflict_do_nothing()


def upsert_statement(table: Table, dialect: str, *, key: Sequence[str], update: Sequence[str]) -> Insert:
    """An insert into `table` that updates columns `update` of the row with the same `key` instead."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in update}
    )


@cache
def _insert_ignoring_conflicts(table: Table, dialect: str) -> Any:
    key = next(iter(table.primary_key.columns))
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(key)


def insert_ignoring_conflicts(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert one row unless it would break a unique constraint; True if it was inserted."""
    statement = _insert_ignoring_conflicts(table, conn.dialect.name)
    return conn.execute(statement, values).first() is not None


def insert_many_ignoring_conflicts(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Insert rows (all with the same keys) in multi-row statements, skipping any that would break a
    unique constraint; returns the `returning` columns of the rows inserted."""
    if not rows:
        return []
    statement = _insert_many_ignoring_conflicts(table, conn.dialect.name, tuple(returning))
    return [tuple(row) for row in conn.execute(statement, list(rows))]


@cache
def _insert_many_ignoring_conflicts(table: Table, dialect: str, returning: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(*(table.c[name] for name in returning))


def upsert(
    conn: Connection,
    table: Table,
    values: dict[str, Any],
    *,
    key: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert a row, or update columns `update` of the row that has the same `key`."""
    upsert_many(conn, table, [values], key=key, update=update)


def upsert_many(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str],
) -> None:
    """`upsert` each of `rows` (all with the same keys), in order, in one executemany."""
    if rows:
        conn.execute(_upsert(table, conn.dialect.name, tuple(key), tuple(update)), list(rows))


@cache
def _upsert(table: Table, dialect: str, key: tuple[str, ...], update: tuple[str, ...]) -> Any:
    # Built once per table and columns: building an ON CONFLICT statement costs more than running it.
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in update}
    )


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """Undo the block's writes if it raises, keeping the surrounding transaction.

    Plain SAVEPOINT statements on the driver's cursor: SQLAlchemy's begin_nested() costs about
    three times as much, which matters when every logged message gets one.
    """
    cursor = conn.connection.cursor()
    try:
        cursor.execute("SAVEPOINT tidings_step")
        try:
            yield
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT tidings_step")
            cursor.execute("RELEASE SAVEPOINT tidings_step")
            raise
        cursor.execute("RELEASE SAVEPOINT tidings_step")
    finally:
        cursor.close()
