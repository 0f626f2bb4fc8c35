"""Storage: the schema, engines for SQLite and PostgreSQL, migrations and dialect helpers."""

from tidings.db.engine import Database, sync_url
from tidings.db.migrate import migrate

__all__ = ["Database", "migrate", "sync_url"]
