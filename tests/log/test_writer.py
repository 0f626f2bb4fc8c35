"""Group commit: appends share transactions, a commit takes what waits once it holds the write lock,
and a failed commit fails every append it took."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio.to_thread
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from tidings.db import Database
from tidings.db.schema import message_log
from tidings.log import LogWriter, PersonRef, Track, decode_message
from tidings.log import writer as log_writer
from tidings.services import Services
from tidings.workspaces import NewWorkspace


def _event(name: str, *, at: Any) -> Track:
    return Track(received_at=at, person=PersonRef(id="u1"), name=name)


async def test_appends_arriving_while_the_commit_waits_for_the_write_lock_join_it(
    services: Services, workspace: NewWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not services.db.is_sqlite:
        pytest.skip("PostgreSQL writers do not wait for each other")
    commits = []
    writer = LogWriter(services.db, clock=services.clock, partitions=1, on_commit=lambda: commits.append(1))
    other_process = Database(services.settings.database.url)  # its own lock file handle, as another process has
    holding, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with other_process.transaction():
            holding.set()
            release.wait()

    writing = asyncio.Event()
    write = services.db.write

    async def noticed_write(*args: Any, **kwargs: Any) -> Any:
        writing.set()
        return await write(*args, **kwargs)

    monkeypatch.setattr(services.db, "write", noticed_write)
    await writer.start()
    holder = asyncio.create_task(anyio.to_thread.run_sync(hold_the_write_lock))
    try:
        await anyio.to_thread.run_sync(holding.wait)
        at = services.clock.now()
        first = asyncio.create_task(writer.append(workspace.workspace.id, [_event("first", at=at)]))
        await writing.wait()  # the writer's transaction has started and waits for the lock
        later = [asyncio.create_task(writer.append(workspace.workspace.id, [_event(f"later{n}", at=at)])) for n in range(3)]
        for _ in range(5):
            await asyncio.sleep(0)  # let the later appends reach the writer
        release.set()
        await asyncio.gather(first, *later, holder)
    finally:
        release.set()
        await writer.stop()
        other_process.dispose()
    assert commits == [1]


async def test_a_failed_commit_fails_every_append_it_took_and_the_next_one_succeeds(
    services: Services, workspace: NewWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = LogWriter(services.db, clock=services.clock, partitions=1)
    await writer.start()
    at = services.clock.now()

    def failing(conn: Connection, rows: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(log_writer, "append_entries", failing)
    try:
        results = await asyncio.gather(
            *(writer.append(workspace.workspace.id, [_event(f"e{n}", at=at)]) for n in range(4)), return_exceptions=True
        )
        assert [str(result) for result in results] == ["disk full"] * 4
        monkeypatch.undo()
        await writer.append(workspace.workspace.id, [_event("after", at=at)])
    finally:
        await writer.stop()

    def logged(conn: Connection) -> list[str]:
        bodies = conn.execute(select(message_log.c.body).where(message_log.c.workspace_id == workspace.workspace.id))
        return [decode_message(body).name for body in bodies.scalars()]

    assert await services.db.read(logged) == ["after"]
