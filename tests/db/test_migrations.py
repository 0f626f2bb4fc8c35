"""Migrations build exactly the schema the code declares, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from tidings.db import migrate, sync_url
from tidings.db.schema import metadata


def test_migrated_database_matches_schema(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    migrate(database_url)
    test_migrated_database_matches_schema(database_url)
