"""The processor's loop: applies log messages to people, events, devices and objects, in order, exactly once.

A processor takes a partition of the log by locking its cursor row, applies a batch of messages in
one transaction together with the cursor's advance, and commits. A crash before the commit leaves
the cursor where it was, so nothing is applied twice and nothing is skipped. A message that breaks
a rule (a suppressed identifier, an unknown cio_id) is logged and skipped without undoing its
neighbours: the batch is then redone with a savepoint per message.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime

from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError

from tidings import people, segments
from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.config import ProcessorSettings
from tidings.db import Database
from tidings.db.dialect import savepoint
from tidings.errors import TidingsError
from tidings.log import (
    LogEntry,
    Message,
    SuppressPerson,
    Track,
    advance_cursor,
    claim_partition,
    decode_message,
    ensure_cursors,
    find_repeats,
    partition_depths,
    read_after,
)
from tidings.people import ResolvedRef
from tidings.processor.batching import batch_size
from tidings.processor.handlers import DEPARTURES, apply_message, identify_calls, is_run_identify
from tidings.processor.references import resolve
from tidings.processor.segment_targeting import SegmentTargets, before_change, refresh_segments
from tidings.workspaces import Workspace, get_workspace

__all__ = ["Processor"]

logger = logging.getLogger(__name__)

class Processor:
    def __init__(self, db: Database, *, clock: Clock, settings: ProcessorSettings, partitions: int) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._partitions = partitions
        self._batch_size = settings.batch_size or (50 if db.is_sqlite else 200)
        self._wakeup = asyncio.Event()
        self._loop = BackgroundTask("processor", self._run)

    def wake(self) -> None:
        """Tell the processor new messages are in the log (from a writer in this process)."""
        self._wakeup.set()

    async def start(self) -> None:
        await self._db.write(ensure_cursors, partitions=self._partitions)
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run_until_idle(self) -> int:
        """Apply everything in the log now; returns how many messages were applied."""
        await self._db.write(ensure_cursors, partitions=self._partitions)
        total = 0
        while applied := await self.process_once():
            total += applied
        return total

    async def process_once(self) -> int:
        """One batch from every partition that is behind; returns how many were applied."""
        applied = 0
        for partition, waiting in (await self._db.read(partition_depths)).items():
            limit = batch_size(waiting, base=self._batch_size)
            # A batch is redone from the log if a crash undoes it: its commit need not wait for the disk.
            applied += await self._db.write_replayable(self._process_partition, partition, limit=limit)
        return applied

    async def _run(self) -> None:
        while True:
            try:
                applied = await self.process_once()
            except Exception:
                logger.exception("processor batch failed; retrying")
                applied = 0
                await asyncio.sleep(self._settings.idle_poll_seconds)
            if applied:
                continue
            self._wakeup.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._settings.idle_poll_seconds)

    def _process_partition(self, conn: Connection, partition: int, *, limit: int) -> int:
        """Apply the next `limit` messages of one partition, in the caller's transaction (a worker thread)."""
        position = claim_partition(conn, partition=partition)
        if position is None:
            return 0
        entries = read_after(conn, partition=partition, position=position, limit=limit)
        if not entries:
            return 0
        try:
            # The common case, every message applies: one savepoint for the batch is enough.
            with savepoint(conn):
                self._apply_all(conn, entries, one_by_one=False)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            # Some message cannot be applied: redo the batch a message at a time to skip just it.
            self._apply_all(conn, entries, one_by_one=True)
        advance_cursor(conn, partition=partition, position=entries[-1].seq)
        return len(entries)

    def _apply_all(self, conn: Connection, entries: list[LogEntry], *, one_by_one: bool) -> None:
        workspaces: dict[int, Workspace | None] = {}
        segment_sets: dict[int, list[segments.LiveSegment]] = {}
        for entry in entries:
            if entry.workspace_id not in workspaces:
                workspaces[entry.workspace_id] = get_workspace(conn, workspace_id=entry.workspace_id)
                segment_sets[entry.workspace_id] = segments.live_segments(conn, workspace_id=entry.workspace_id)
        # Messages of deleted workspaces are dropped; repeated message ids are found in one go.
        live = [(entry, decode_message(entry.body)) for entry in entries if workspaces[entry.workspace_id] is not None]
        repeats = find_repeats(conn, [(entry.workspace_id, message) for entry, message in live])
        # One at a time, each message has its own savepoint; together, runs of events are batched.
        events = None if one_by_one else people.EventRun(conn)
        targets = SegmentTargets()
        identifies = None if one_by_one else people.IdentifyRun(conn, departures=DEPARTURES)
        looked_up_to = 0  # messages before this one are in a run whose people were looked up
        identified_to = 0  # ... and the same for identifies, whose look-ups also span events
        # The batch is one transaction: its messages are applied at one moment.
        now = self._clock.now()
        for index, ((entry, message), is_repeat) in enumerate(zip(live, repeats)):
            if is_repeat:
                continue
            if entry.workspace_id not in workspaces:  # read again after a suppression
                workspaces[entry.workspace_id] = get_workspace(conn, workspace_id=entry.workspace_id)
            workspace = workspaces[entry.workspace_id]
            if workspace is None:
                continue  # the workspace was deleted
            in_segments = segment_sets[workspace.id]
            if one_by_one:
                self._apply_entry(conn, workspace, entry, message, in_segments, now=now)
            else:
                before = before_change(conn, workspace, message, in_segments)
                if events is not None and isinstance(message, Track) and index >= looked_up_to:
                    refs, looked_up_to = _run_people(live, start=index, workspace=workspace)
                    if identifies is not None:
                        identifies.share_people(workspace, refs)  # before the events' look-up reads people
                    events.look_up(workspace, refs)
                if identifies is not None and is_run_identify(message) and index >= identified_to:
                    if events is not None:
                        events.flush()  # before the identifies' look-up reads people
                    calls, identified_to = identify_calls(live, start=index, workspace=workspace)
                    identifies.look_up(workspace, calls)
                apply_message(conn, workspace, message, now=now, events=events, identifies=identifies)
                targets.note(conn, workspace, message, in_segments, now=now, before=before)
            if isinstance(message, SuppressPerson):
                del workspaces[entry.workspace_id]  # its suppression state changed: read it again
        if events is not None:
            events.flush()
        if identifies is not None:
            identifies.flush()
        # Live segments are re-evaluated once the batch's people and events are written, in its transaction.
        targets.refresh(conn, now=self._clock.now())

    def _apply_entry(
        self,
        conn: Connection,
        workspace: Workspace,
        entry: LogEntry,
        message: Message,
        live: list[segments.LiveSegment],
        *,
        now: datetime,
    ) -> None:
        """Apply one message; one that cannot be applied is logged and skipped, never retried forever.

        Errors of the database connection itself are raised, so the whole batch is retried.
        """
        context = {"workspace_id": workspace.id, "seq": entry.seq}
        try:
            with savepoint(conn):
                before = before_change(conn, workspace, message, live)
                apply_message(conn, workspace, message, now=now)
                refresh_segments(conn, workspace, message, live, now=now, before=before)
        except TidingsError as exc:
            logger.info("message not applied: %s", exc, extra=context)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("message failed and was skipped; it stays in the log for replay", extra=context)


def _run_people(
    messages: list[tuple[LogEntry, Message]], *, start: int, workspace: Workspace
) -> tuple[list[ResolvedRef], int]:
    """The people named by the run of events of `workspace` from `start`, and where the run ends."""
    refs = []
    end = start
    while end < len(messages) and messages[end][0].workspace_id == workspace.id and isinstance(messages[end][1], Track):
        person = messages[end][1].person
        if person is not None:
            refs.append(resolve(person, workspace))
        end += 1
    return refs, end
