"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

__all__ = ["insert_ignoring_conflicts", "upsert"]


def _insert(conn: Connection, table: Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignoring_conflicts(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert one row unless it would break a unique constraint; True if it was inserted."""
    key = next(iter(table.primary_key.columns))
    statement = _insert(conn, table).values(**values).on_conflict_do_nothing().returning(key)
    return (conn.execute(statement)).first() is not None


def upsert(
    conn: Connection,
    table: Table,
    values: dict[str, Any],
    *,
    key: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert a row, or update columns `update` of the row that has the same `key`."""
    statement = _insert(conn, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in update}
    )
    conn.execute(statement)
