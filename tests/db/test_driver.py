"""Driver statements: every one compiles for both dialects, and runs as SQLAlchemy would."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

import tidings
from tidings.db import Database
from tidings.db.dialect import one_of
from tidings.db.driver import DriverStatement
from tidings.db.schema import message_ids


def _driver_statements() -> list[tuple[str, DriverStatement]]:
    found = []
    for module_info in pkgutil.walk_packages(tidings.__path__, "tidings."):
        if ".migrations" in module_info.name or module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, DriverStatement):
                found.append((f"{module_info.name}.{name}", value))
    return found


def test_driver_statements_are_found() -> None:
    assert len(_driver_statements()) >= 10


@pytest.mark.parametrize(("name", "statement"), _driver_statements(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_driver_statement_compiles_for_both_dialects(name: str, statement: DriverStatement) -> None:
    assert "?" in statement.sql_for(sqlite.dialect())
    assert "%(" in statement.sql_for(postgresql.psycopg.dialect())


_RECEIPTS = DriverStatement(
    lambda dialect: select(message_ids.c.message_id, message_ids.c.received_at)
    .where(message_ids.c.workspace_id == bindparam("workspace_id"), one_of(message_ids.c.message_id, "ids", dialect))
    .order_by(message_ids.c.message_id)
)


def test_driver_statement_reads_back_what_sqlalchemy_wrote(database_url: str) -> None:
    db = Database(database_url)
    at = datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=UTC)
    try:
        with db.transaction() as conn:
            conn.execute(insert(message_ids), [{"workspace_id": -7, "message_id": m, "received_at": at} for m in "abc"])
            rows = _RECEIPTS.rows(conn, {"workspace_id": -7, "ids": ["c", "a", "z"]})
            conn.rollback()
    finally:
        db.dispose()
    assert rows == [("a", at), ("c", at)]


def test_replayable_transaction_commits_and_leaves_later_commits_durable(database_url: str) -> None:
    db = Database(database_url)
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    try:
        with db.replayable_transaction() as conn:
            conn.execute(insert(message_ids), {"workspace_id": -8, "message_id": "m", "received_at": at})
        with db.transaction() as conn:
            stored = _RECEIPTS.rows(conn, {"workspace_id": -8, "ids": ["m"]})
            if db.is_sqlite:
                # Every other transaction of the connection waits for the disk again.
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            conn.execute(message_ids.delete().where(message_ids.c.workspace_id == -8))
    finally:
        db.dispose()
    assert stored == [("m", at)]
