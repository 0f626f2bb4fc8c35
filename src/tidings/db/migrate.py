"""Bring a database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["migrate"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(url: str, *, revision: str = "head") -> None:
    """Apply every migration up to `revision`; running it again changes nothing."""
    command.upgrade(alembic_config(url), revision)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["database_url"] = url
    return config
