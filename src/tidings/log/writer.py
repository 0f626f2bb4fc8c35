"""Durable appends to the message log, with group commit.

An API handler awaits `append`; it returns once the messages are committed. Requests that arrive
while a commit is in flight wait together and share the next transaction, so one fsync serves many
requests and throughput grows with concurrency instead of collapsing under it. The transaction
takes what is waiting only once it holds the write lock: on SQLite the lock can be another
process's for a while (the processor's batch), and every call that arrives meanwhile joins the
commit that was waiting for it instead of the one after.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.db import Database
from tidings.log.messages import Message, encode_message
from tidings.log.queries import append_entries

__all__ = ["LogWriter", "partition_for"]

logger = logging.getLogger(__name__)

_MAX_ROWS_PER_COMMIT = 10_000


def partition_for(workspace_id: int, *, partitions: int) -> int:
    """A workspace's messages all go to one partition, so they are applied in arrival order."""
    return workspace_id % partitions


class LogWriter:
    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        partitions: int,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._partitions = partitions
        self._on_commit = on_commit
        # Appends waiting for a commit. A deque, because the commit's thread takes from it while
        # the event loop adds to it (both ends are safe from two threads).
        self._waiting: deque[tuple[list[dict], asyncio.Future[None]]] = deque()
        self._has_waiting = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop = BackgroundTask("log-writer", self._run)

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        """Commit what is waiting, then stop."""
        if self._loop.is_running:
            while self._waiting or not self._idle.is_set():
                await self._idle.wait()
                await asyncio.sleep(0)
        await self._loop.stop()

    async def append(
        self,
        workspace_id: int,
        messages: Sequence[Message],
        *,
        origin: str | None = None,
        received_at: datetime | None = None,
    ) -> None:
        """Return once `messages` are durably in the log, or raise if the commit failed.

        `origin` names the API that took them, for the data-in log; `received_at` is when the call
        arrived (now, unless the caller read the clock already).
        """
        received_at = received_at or self._clock.now()
        partition = partition_for(workspace_id, partitions=self._partitions)
        rows = [
            {
                "partition": partition,
                "workspace_id": workspace_id,
                "received_at": received_at,
                "body": encode_message(message),
                "origin": origin,
            }
            for message in messages
        ]
        if not self._loop.is_running:
            await self._db.write(append_entries, rows)
            self._committed()
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, done))
        self._idle.clear()
        self._has_waiting.set()
        await done

    async def _run(self) -> None:
        while True:
            if not self._waiting:
                self._idle.set()
                self._has_waiting.clear()
                await self._has_waiting.wait()
                continue
            taken: list[tuple[list[dict], asyncio.Future[None]]] = []
            try:
                await self._db.write(self._append_waiting, taken)
            except Exception as exc:  # every waiter must hear of the failure
                if not taken:  # the transaction failed before it took anything: fail those waiting
                    taken.extend(self._waiting.popleft() for _ in range(len(self._waiting)))
                logger.exception("log append failed", extra={"appends": len(taken)})
                for _, done in taken:
                    if not done.done():
                        done.set_exception(exc)
            else:
                self._committed()
                for _, done in taken:
                    if not done.done():
                        done.set_result(None)

    def _append_waiting(self, conn: Connection, taken: list[tuple[list[dict], asyncio.Future[None]]]) -> None:
        """In the write transaction (the lock is held): take what is waiting now, and append it."""
        rows: list[dict] = []
        while self._waiting and len(rows) < _MAX_ROWS_PER_COMMIT:
            item = self._waiting.popleft()
            taken.append(item)
            rows.extend(item[0])
        append_entries(conn, rows)

    def _committed(self) -> None:
        if self._on_commit is not None:
            self._on_commit()
