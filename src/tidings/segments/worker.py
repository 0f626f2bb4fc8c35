"""The segment worker: builds new and edited data-driven segments, runs due re-checks, and trims
the membership change feed.

It runs beside the scheduler. A build evaluates one segment over everyone in one transaction;
re-checks are taken in batches, so time-driven entries and exits happen within a poll of their
moment. Changes older than `MEMBERSHIP_CHANGES_RETENTION` leave the feed, once an hour.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.db import Database
from tidings.segments import storage
from tidings.segments.build import build_segment
from tidings.segments.live import run_due_rechecks

__all__ = ["MEMBERSHIP_CHANGES_RETENTION", "SegmentWorker"]

# Campaigns read the feed within seconds; a month of it also answers "who entered lately".
MEMBERSHIP_CHANGES_RETENTION = timedelta(days=30)
_TRIM_EVERY = timedelta(hours=1)

logger = logging.getLogger(__name__)


class SegmentWorker:
    def __init__(self, db: Database, *, clock: Clock, poll: timedelta = timedelta(seconds=1)) -> None:
        self._db = db
        self._clock = clock
        self._poll = poll
        self._trimmed_at: datetime | None = None
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
        now = self._clock.now()
        if self._trimmed_at is None or now - self._trimmed_at >= _TRIM_EVERY:
            await self._db.write(storage.forget_membership_changes_before, cutoff=now - MEMBERSHIP_CHANGES_RETENTION)
            self._trimmed_at = now
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
