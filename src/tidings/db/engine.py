"""Connections to the one database, SQLite or PostgreSQL, chosen by URL.

`Database.read()` gives a connection for queries, `Database.write()` a transaction for changes.
SQLite allows one writer at a time, so its writes share a single connection that begins with
`BEGIN IMMEDIATE` (no deadlock-prone lock upgrades); PostgreSQL writers run concurrently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

__all__ = ["Database", "async_url", "sync_url"]

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # An acknowledged write must survive a crash of the process and of the machine.
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


def async_url(url: str) -> URL:
    """The URL with the async driver tidings uses for its dialect."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {parsed.drivername!r}; use sqlite:/// or postgresql://")


def sync_url(url: str) -> URL:
    """The URL with the blocking driver, for migrations."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    return async_url(url)


class Database:
    """The engines for one database URL; create one per process and dispose of it on exit."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._reader = _sqlite_engine(self.url, begin="BEGIN")
            self._writer = _sqlite_engine(self.url, begin="BEGIN IMMEDIATE", pool_size=1, max_overflow=0)
        else:
            self._reader = create_async_engine(self.url, pool_size=10, max_overflow=10, pool_pre_ping=True)
            self._writer = self._reader

    @property
    def dialect_name(self) -> str:
        return self._writer.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block exits normally and rolls back otherwise."""
        async with self._writer.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self._reader.dispose()
        if self._writer is not self._reader:
            await self._writer.dispose()


def _sqlite_engine(url: URL, *, begin: str, **pool: Any) -> AsyncEngine:
    engine = create_async_engine(url, **pool)

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine
