"""Storage: the schema, engines for SQLite and PostgreSQL, migrations and dialect helpers."""

from tidings.db.engine import Database, async_url, sync_url
from tidings.db.migrate import migrate

__all__ = ["Database", "async_url", "migrate", "sync_url"]
