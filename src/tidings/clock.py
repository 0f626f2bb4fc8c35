"""The one source of time.

Every component reads the current time from a `Clock` it was given. Production uses `SystemClock`;
tests and the journey simulator use `ManualClock`, so a three-day delay is tested in milliseconds.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "from_unix", "to_unix"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, as an aware UTC datetime."""
        ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once `now()` has reached `moment`."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - self.now()).total_seconds()))


class ManualClock:
    """A clock that moves only when told to; sleepers wake as it passes their moment."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        assert self._now.tzinfo is not None, "ManualClock needs an aware datetime, e.g. tzinfo=UTC"
        self._changed = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        self._changed.set()
        self._changed = asyncio.Event()
        return self._now

    async def sleep_until(self, moment: datetime) -> None:
        while self._now < moment:
            await self._changed.wait()


def to_unix(moment: datetime) -> int:
    """Unix seconds, the unit Customer.io's APIs speak."""
    return int(moment.timestamp())


def from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
