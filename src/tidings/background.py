"""A named asyncio task that runs until stopped: the shape of every worker loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

__all__ = ["BackgroundTask"]


class BackgroundTask:
    def __init__(self, name: str, body: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._body = body
        self._task: asyncio.Task[None] | None = None

    @property
    def is_running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        assert self._task is None, f"{self._name} was started twice"
        self._task = asyncio.create_task(self._body(), name=self._name)

    async def stop(self) -> None:
        """Cancel the task and wait for it to finish; stopping a stopped task does nothing."""
        if self._task is None:
            return
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self._task = None
