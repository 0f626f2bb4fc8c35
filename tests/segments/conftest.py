"""A plain synchronous connection for the segments tests: they store rows and query them in one
transaction that is rolled back, so they leave nothing behind and need no workspace fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Connection

from tidings.db import Database


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def conn(database: Database) -> Iterator[Connection]:
    with database.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()
