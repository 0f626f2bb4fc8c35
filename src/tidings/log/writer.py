"""Durable appends to the message log, with group commit.

An API handler awaits `append`; it returns once the messages are committed. Requests that arrive
while a commit is in flight wait together and share the next transaction, so one fsync serves many
requests and throughput grows with concurrency instead of collapsing under it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

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
        self._queue: asyncio.Queue[tuple[list[dict], asyncio.Future[None]]] = asyncio.Queue()
        self._loop = BackgroundTask("log-writer", self._run)

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._loop.is_running:
            await self._queue.join()
        await self._loop.stop()

    async def append(self, workspace_id: int, messages: Sequence[Message], *, origin: str | None = None) -> None:
        """Return once `messages` are durably in the log, or raise if the commit failed.

        `origin` names the API that took them, for the data-in log.
        """
        received_at = self._clock.now()
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
            await self._commit(rows)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((rows, done))
        await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            rows = list(batch[0][0])
            while not self._queue.empty() and len(rows) < _MAX_ROWS_PER_COMMIT:
                item = self._queue.get_nowait()
                batch.append(item)
                rows.extend(item[0])
            try:
                await self._commit(rows)
            except Exception as exc:  # every waiter must hear of the failure
                logger.exception("log append failed", extra={"rows": len(rows)})
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, rows: list[dict]) -> None:
        await self._db.write(append_entries, rows)
        if self._on_commit is not None:
            self._on_commit()
