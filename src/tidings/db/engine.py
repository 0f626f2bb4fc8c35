"""Connections to the one database, SQLite or PostgreSQL, chosen by URL.

Queries are plain synchronous functions over a SQLAlchemy `Connection`. Async code runs them in a
worker thread with `await db.read(fn, ...)` or `await db.write(fn, ...)`: one thread hop per unit
of work instead of several per statement, which measured over ten times faster than the async
drivers for the processor's many small statements.

SQLite allows one writer at a time, so writes share a single connection and begin with
`BEGIN IMMEDIATE` (no deadlock-prone lock upgrades); PostgreSQL writers run concurrently.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
import msgspec
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url

__all__ = ["Database", "sync_url"]

P = ParamSpec("P")
T = TypeVar("T")

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # An acknowledged write must survive a crash of the process and of the machine.
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


# For the one writing connection: 64 MiB of pages (the default is 2 MiB). The processor inserts
# into indexes on random keys (message ids, people), which otherwise read pages back from the OS
# at every turn. Reading connections, up to eight, keep the default.
_SQLITE_WRITER_PRAGMAS = ("PRAGMA cache_size=-65536",)


_json_encoder = msgspec.json.Encoder()
# msgspec encodes and decodes JSON columns several times faster than the json module.
_JSON: dict[str, Any] = {
    "json_serializer": lambda value: _json_encoder.encode(value).decode(),
    "json_deserializer": msgspec.json.decode,
}


def sync_url(url: str) -> URL:
    """The URL with the driver tidings uses for its dialect (sqlite3 or psycopg 3)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {parsed.drivername!r}; use sqlite:/// or postgresql://")


class Database:
    """The engines for one database URL; create one per process and dispose of it on exit."""

    def __init__(self, url: str) -> None:
        self.url = sync_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._reader = _sqlite_engine(self.url, begin="BEGIN", pragmas=_SQLITE_PRAGMAS, pool_size=8)
            self._writer = _sqlite_engine(
                self.url,
                begin="BEGIN IMMEDIATE",
                pragmas=_SQLITE_PRAGMAS + _SQLITE_WRITER_PRAGMAS,
                pool_size=1,
                max_overflow=0,
                pool_timeout=120,
            )
            database = self.url.database
            self._turn_file = open(f"{database}.writer-lock", "a+b") if database and database != ":memory:" else None
        else:
            self._reader = create_engine(
                self.url,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
                # psycopg prepares repeated statements and PostgreSQL may then reuse a generic plan
                # made before the tables were analyzed (a full scan of a workspace's people for an
                # id lookup); plan each execution with its values instead.
                connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
                **_JSON,
            )
            self._writer = self._reader
            self._turn_file = None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reading, in the calling thread."""
        with self._reader.connect() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction that commits when the block exits normally and rolls back otherwise."""
        with self._writer.connect() as conn, self._writer_turn(), conn.begin():
            yield conn

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """On a SQLite file shared by processes, writers take turns through a file lock.

        SQLite's own busy handler retries at growing intervals, so a process that commits
        back to back (the processor) starves one that waits (the API); a blocking flock wakes
        the waiter the moment the lock is released.
        """
        if self._turn_file is None:
            yield
            return
        fcntl.flock(self._turn_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turn_file, fcntl.LOCK_UN)

    @contextmanager
    def replayable_transaction(self) -> Iterator[Connection]:
        """A transaction whose commit does not wait for the disk: for work that can be redone from
        the message log, such as the processor's batches, which advance their cursor in the same
        transaction.

        A crash of the machine may undo the last few such transactions, each whole, never half of
        one; nothing committed through `transaction()` is lost, because such a commit writes out
        everything committed before it (SQLite's one write-ahead log, PostgreSQL's WAL are in
        order). The undone batches are applied again from the log.
        """
        if self.is_sqlite:
            with self._writer.connect() as conn, self._writer_turn():
                driver = conn.connection.driver_connection
                driver.execute("PRAGMA synchronous=NORMAL")
                try:
                    with conn.begin():
                        yield conn
                finally:
                    driver.execute("PRAGMA synchronous=FULL")
            return
        with self._writer.connect() as conn, conn.begin():
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            yield conn

    async def read(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(conn, *args, **kwargs)` on a reading connection, in a worker thread."""
        return await anyio.to_thread.run_sync(partial(self._run_read, fn, *args, **kwargs))

    async def write(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(conn, *args, **kwargs)` in one transaction, in a worker thread."""
        return await anyio.to_thread.run_sync(partial(self._run_write, fn, *args, **kwargs))

    async def write_replayable(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(conn, *args, **kwargs)` in one `replayable_transaction()`, in a worker thread."""
        return await anyio.to_thread.run_sync(partial(self._run_write_replayable, fn, *args, **kwargs))

    def _run_write_replayable(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.replayable_transaction() as conn:
            return fn(conn, *args, **kwargs)

    def _run_read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.connect() as conn:
            return fn(conn, *args, **kwargs)

    def _run_write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.transaction() as conn:
            return fn(conn, *args, **kwargs)

    def dispose(self) -> None:
        if self._turn_file is not None:
            self._turn_file.close()
            self._turn_file = None
        self._reader.dispose()
        if self._writer is not self._reader:
            self._writer.dispose()


def _sqlite_engine(url: URL, *, begin: str, pragmas: tuple[str, ...], **pool: Any) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False}, **_JSON, **pool)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine
