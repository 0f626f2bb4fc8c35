"""The scheduler role: upkeep that runs on a timer rather than in response to a message."""

from __future__ import annotations

import logging
from datetime import timedelta

from tidings import people
from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.db import Database
from tidings.log import DATA_IN_RETENTION, forget_data_in_before, forget_expired_message_ids

__all__ = ["Scheduler"]

logger = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, db: Database, *, clock: Clock, interval: timedelta = timedelta(hours=1)) -> None:
        self._db = db
        self._clock = clock
        self._interval = interval
        self._loop = BackgroundTask("scheduler", self._run)

    async def run_once(self) -> None:
        """Do every upkeep job that is due now."""
        now = self._clock.now()
        purged = await self._db.write(people.purge_expired_anonymous_events, now=now)
        if purged:
            logger.info("purged expired anonymous events", extra={"count": purged})
        await self._db.write(forget_expired_message_ids, now=now)
        await self._db.write(forget_data_in_before, cutoff=now - DATA_IN_RETENTION)

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("scheduled upkeep failed")
            await self._clock.sleep_until(self._clock.now() + self._interval)
