"""The segment worker: builds new and edited data-driven segments, and runs due re-checks.

It runs beside the scheduler. A build evaluates one segment over everyone in one transaction;
re-checks are taken in batches, so time-driven entries and exits happen within a poll of their moment.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.engine import Connection

from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.db import Database
from tidings.segments import storage
from tidings.segments.live import build_segment, run_due_rechecks

__all__ = ["SegmentWorker"]

logger = logging.getLogger(__name__)


class SegmentWorker:
    def __init__(self, db: Database, *, clock: Clock, poll: timedelta = timedelta(seconds=1)) -> None:
        self._db = db
        self._clock = clock
        self._poll = poll
        self._loop = BackgroundTask("segments", self._run)

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run_once(self) -> int:
        """Build every segment waiting for a build, then run the re-checks due now; returns how much was done."""
        done = 0
        for workspace_id, segment in await self._db.read(storage.building_segments):
            await self._db.write(self._build, workspace_id, segment.id)
            logger.info("segment built", extra={"workspace_id": workspace_id, "segment_id": segment.id})
            done += 1
        while rechecked := await self._db.write(run_due_rechecks, now=self._clock.now()):
            done += rechecked
        return done

    def _build(self, conn: Connection, workspace_id: int, segment_id: int) -> None:
        segment = storage.find_segment(conn, workspace_id=workspace_id, segment_id=segment_id)
        if segment is not None and segment.conditions is not None:
            build_segment(conn, workspace_id=workspace_id, segment=segment, now=self._clock.now())

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("segment work failed; retrying")
            await self._clock.sleep_until(self._clock.now() + self._poll)
