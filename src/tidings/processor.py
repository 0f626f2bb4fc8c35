"""The processor: applies log messages to people, events, devices and objects, in order, exactly once.

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
from ulid import ULID

from tidings import messaging, people, segments
from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.config import ProcessorSettings
from tidings.db import Database
from tidings.db.dialect import savepoint
from tidings.errors import TidingsError
from tidings.log import (
    ChangeSegment,
    DeleteDevice,
    DeleteObject,
    DeletePerson,
    Identify,
    IdentifyObject,
    LogEntry,
    Merge,
    Message,
    ObjectRef,
    Page,
    PersonRef,
    Relate,
    RelatedObject,
    ReportDelivery,
    Screen,
    SendMessage,
    SuppressPerson,
    Track,
    Unrelate,
    UnrelateObject,
    UnsuppressPerson,
    UpsertDevice,
    advance_cursor,
    claim_partition,
    decode_message,
    ensure_cursors,
    find_repeats,
    partitions_behind,
    read_after,
)
from tidings.people import EventType, IdentifierKind, ObjectKey, Person, ResolvedRef
from tidings.workspaces import IdentifierMode, Workspace, get_workspace

__all__ = ["Processor", "apply_message"]

logger = logging.getLogger(__name__)

# While the log is deep, a batch grows to this many times the configured batch size.
_DEEP_LOG_BATCHES = 8
# ... and only once this many batches in a row found the SQLite write lock free.
_CALM_BATCHES_BEFORE_GROWING = 8


class Processor:
    def __init__(self, db: Database, *, clock: Clock, settings: ProcessorSettings, partitions: int) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._partitions = partitions
        self._batch_size = settings.batch_size or (50 if db.is_sqlite else 200)
        # Per partition: how many messages the next batch takes (see _next_batch_size).
        self._batch_sizes: dict[int, int] = {}
        # Batches in a row that took the SQLite write lock without waiting for the API.
        self._calm_batches = 0
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
        for partition in await self._db.read(partitions_behind):
            applied += await self._db.write(self._process_partition, partition)
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

    def _process_partition(self, conn: Connection, partition: int) -> int:
        """Apply the next batch of one partition, in the caller's transaction (a worker thread)."""
        position = claim_partition(conn, partition=partition)
        if position is None:
            return 0
        limit = self._batch_sizes.get(partition, self._batch_size)
        entries = read_after(conn, partition=partition, position=position, limit=limit)
        self._batch_sizes[partition] = self._next_batch_size(
            limit, read=len(entries), is_contended=self._db.writer_waited
        )
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

    def _next_batch_size(self, limit: int, *, read: int, is_contended: bool) -> int:
        """Double the batch while the log is deeper than a batch, up to 8 times the setting.

        A commit costs an fsync and, on SQLite, a turn at the one write lock; a backlog is applied
        with fewer of them. A shallow log, or a SQLite write lock this transaction had to wait for
        (the API is busy writing), goes back to short transactions: the API waits for each one.
        """
        if is_contended:
            self._calm_batches = 0
        else:
            self._calm_batches += 1
        if read < limit or self._calm_batches < _CALM_BATCHES_BEFORE_GROWING:
            return self._batch_size
        return min(limit * 2, self._batch_size * _DEEP_LOG_BATCHES)

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
        looked_up_to = 0  # messages before this one are in a run whose people were looked up
        for index, ((entry, message), is_repeat) in enumerate(zip(live, repeats)):
            if is_repeat:
                continue
            if entry.workspace_id not in workspaces:  # read again after a suppression
                workspaces[entry.workspace_id] = get_workspace(conn, workspace_id=entry.workspace_id)
            workspace = workspaces[entry.workspace_id]
            if workspace is None:
                continue  # the workspace was deleted
            in_segments = segment_sets[workspace.id]
            now = self._clock.now()
            if one_by_one:
                self._apply_entry(conn, workspace, entry, message, in_segments, now=now)
            elif in_segments:
                # Live segments read what each message wrote, so their workspace's events are not deferred.
                apply_message(conn, workspace, message, now=now)
                refresh_segments(conn, workspace, message, in_segments, now=now)
            else:
                if events is not None and isinstance(message, Track) and index >= looked_up_to:
                    refs, looked_up_to = _run_people(live, start=index, workspace=workspace)
                    events.look_up(workspace, refs)
                apply_message(conn, workspace, message, now=now, events=events)
            if isinstance(message, SuppressPerson):
                del workspaces[entry.workspace_id]  # its suppression state changed: read it again
        if events is not None:
            events.flush()

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
                apply_message(conn, workspace, message, now=now)
                refresh_segments(conn, workspace, message, live, now=now)
        except TidingsError as exc:
            logger.info("message not applied: %s", exc, extra=context)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("message failed and was skipped; it stays in the log for replay", extra=context)


def apply_message(
    conn: Connection, workspace: Workspace, message: Message, *, now: datetime, events: people.EventRun | None = None
) -> None:
    """Apply one canonical message. Raises a TidingsError when the message breaks a rule.

    With `events`, an event is recorded in that run and written at its flush, which any other kind
    of message calls first.
    """
    if events is not None and not isinstance(message, Track):
        events.flush()
    match message:
        case Identify():
            _identify(conn, workspace, message, now=now)
        case Track() | Page() | Screen():
            _track(conn, workspace, message, now=now, events=events)
        case Merge():
            _merge(conn, workspace, message, now=now)
        case DeletePerson():
            people.delete_person(conn, workspace, ref=_resolve(message.person, workspace))
        case SuppressPerson():
            people.suppress_person(conn, workspace, ref=_resolve(message.person, workspace), now=now)
        case UnsuppressPerson():
            people.unsuppress_person(conn, workspace, ref=_resolve(message.person, workspace))
        case UpsertDevice():
            person = people.find_or_create_person(
                conn, workspace, ref=_resolve(message.person, workspace), now=now
            )
            people.upsert_device(
                conn,
                workspace,
                person,
                token=message.token,
                platform=message.platform,
                last_used=message.last_used or message.received_at,
                attributes=message.attributes,
                now=now,
            )
        case DeleteDevice():
            person = people.find_person(conn, workspace_id=workspace.id, ref=_resolve(message.person, workspace))
            if person is not None:
                people.delete_device(conn, workspace, person, token=message.token, now=now)
        case IdentifyObject():
            _identify_object(conn, workspace, message, now=now)
        case DeleteObject():
            people.delete_object(conn, workspace, key=_object_key(message.object))
        case UnrelateObject():
            key = _object_key(message.object)
            for ref in message.people:
                person = people.find_person(conn, workspace_id=workspace.id, ref=_resolve(ref, workspace))
                if person is not None:
                    people.unrelate(conn, workspace, person, key=key, now=now)
        case Relate():
            person = people.find_or_create_person(conn, workspace, ref=_resolve(message.person, workspace), now=now)
            _change_relationships(conn, workspace, person, add=message.objects, delete=[], now=now)
        case Unrelate():
            person = people.find_person(conn, workspace_id=workspace.id, ref=_resolve(message.person, workspace))
            if person is not None:
                _change_relationships(conn, workspace, person, add=[], delete=message.objects, now=now)
        case ChangeSegment():
            _change_segment(conn, workspace, message, now=now)
        case SendMessage():
            _send_message(conn, workspace, message, now=now)
        case ReportDelivery():
            messaging.apply_delivery_metric(
                conn,
                workspace_id=workspace.id,
                delivery_id=message.delivery_id,
                metric=message.metric,
                recipient=message.recipient,
                details=message.details,
                timestamp=message.timestamp or message.received_at,
                received_at=message.received_at,
            )


def refresh_segments(
    conn: Connection, workspace: Workspace, message: Message, live: list[segments.LiveSegment], *, now: datetime
) -> None:
    """Move the people a message changed in or out of the live segments whose conditions read what
    it changed, in the same transaction as the change."""
    if not live:
        return
    for ref, touched in _touches(message, workspace):
        person = people.find_person(conn, workspace_id=workspace.id, ref=_resolve(ref, workspace))
        if person is None:
            continue
        if person.created_at == now:
            touched = segments.EVERYTHING  # a new person: every segment may now hold them
        segments.refresh_person(
            conn, workspace_id=workspace.id, cio_id=person.cio_id, segments=live, touched=touched, now=now
        )


def _touches(message: Message, workspace: Workspace) -> list[tuple[PersonRef, segments.Reads]]:
    """Who a message changed, and what about them."""
    Reads = segments.Reads
    match message:
        case Identify():
            types = {r.object.type_id for r in message.add_relationships} | {r.type_id for r in message.delete_relationships}
            attributes = frozenset(name.partition(".")[0] for name in message.traits) | {"id", "email"}
            return [(message.person, Reads(attributes=attributes, object_type_ids=frozenset(types)))]
        case Track() | Page() | Screen() if message.person is not None:
            return [(message.person, Reads(events=frozenset({(_EVENT_TYPES[type(message)], message.name)})))]
        case UpsertDevice() | DeleteDevice():
            return [(message.person, Reads(has_devices=True))]
        case Relate() | Unrelate():
            types = {(r.object if isinstance(r, RelatedObject) else r).type_id for r in message.objects}
            return [(message.person, Reads(object_type_ids=frozenset(types)))]
        case IdentifyObject():
            touched = Reads(object_type_ids=frozenset({message.object.type_id}))
            return [(related.person, touched) for related in message.add_relationships]
        case UnrelateObject():
            return [(ref, Reads(object_type_ids=frozenset({message.object.type_id}))) for ref in message.people]
        case Merge():
            return [(message.primary, segments.EVERYTHING)]
        case ChangeSegment():
            touched = Reads(segment_ids=frozenset({message.segment_id}))
            return [(ref, touched) for ref in [*message.add, *message.remove]]
    return []


def _identify(conn: Connection, workspace: Workspace, message: Identify, *, now: datetime) -> None:
    person = people.identify(
        conn,
        workspace,
        ref=_resolve(message.person, workspace),
        traits=message.traits,
        attributes_at=message.attributes_at or message.received_at,
        update_only=message.update_only,
        now=now,
    )
    if person is None:
        return
    if message.anonymous_id:
        people.merge_anonymous_events(conn, workspace, person, anonymous_id=message.anonymous_id, now=now)
    _change_relationships(
        conn, workspace, person, add=message.add_relationships, delete=message.delete_relationships, now=now
    )


def _identify_object(conn: Connection, workspace: Workspace, message: IdentifyObject, *, now: datetime) -> None:
    """People named by a relationship are found or created; one who cannot be (a suppressed
    identifier, an unknown cio_id) is left out without failing the object's update."""
    obj = people.identify_object(
        conn, workspace, key=_object_key(message.object), attributes=message.attributes, now=now
    )
    for related in message.add_relationships:
        try:
            person = people.find_or_create_person(conn, workspace, ref=_resolve(related.person, workspace), now=now)
        except (people.IdentifierSuppressed, people.PersonNotFound) as exc:
            logger.info("relationship not applied: %s", exc, extra={"workspace_id": workspace.id})
            continue
        key = ObjectKey(cio_object_id=obj.cio_object_id)
        people.relate(conn, workspace, person, key=key, attributes=related.attributes, now=now)


def _change_segment(conn: Connection, workspace: Workspace, message: ChangeSegment, *, now: datetime) -> None:
    """People who do not exist are skipped: a manual segment never creates anyone."""
    segment = segments.find_segment(conn, workspace_id=workspace.id, segment_id=message.segment_id)
    if segment is None:
        return  # deleted since the call was accepted

    def existing(refs: list[PersonRef]) -> list[str]:
        found = (people.find_person(conn, workspace_id=workspace.id, ref=_resolve(ref, workspace)) for ref in refs)
        return [person.cio_id for person in found if person is not None]

    if message.clear:
        segments.clear_segment(conn, workspace_id=workspace.id, segment=segment, now=now)
    segments.add_to_segment(conn, workspace_id=workspace.id, segment=segment, cio_ids=existing(message.add), now=now)
    segments.remove_from_segment(conn, workspace_id=workspace.id, segment=segment, cio_ids=existing(message.remove), now=now)


def _send_message(conn: Connection, workspace: Workspace, message: SendMessage, *, now: datetime) -> None:
    """Queue the delivery the API promised; when its person cannot be found or created (an unknown
    cio_id, a suppressed identifier) the delivery is still recorded, as failed, with the reason."""
    failure = None
    try:
        cio_id = people.find_or_create_person(conn, workspace, ref=_resolve(message.person, workspace), now=now).cio_id
    except (people.PersonNotFound, people.IdentifierSuppressed) as exc:
        cio_id, failure = "", str(exc)
    delivery = messaging.enqueue_delivery(
        conn,
        workspace_id=workspace.id,
        delivery_id=message.delivery_id,
        cio_id=cio_id,
        channel=messaging.DeliveryChannel(message.channel),
        source=messaging.DeliverySource.TRANSACTIONAL,
        transactional_message_id=message.transactional_message_id,
        request=message.request,
        is_draft=message.is_draft,
        send_at=message.send_at,
        now=now,
    )
    if failure is not None:
        failed = messaging.advance_delivery(
            delivery, messaging.DeliveryStatus.FAILED, at=now, failure_message=failure, due_at=None
        )
        messaging.update_delivery(conn, workspace_id=workspace.id, delivery=failed)


def _change_relationships(
    conn: Connection,
    workspace: Workspace,
    person: Person,
    *,
    add: list[RelatedObject],
    delete: list[ObjectRef],
    now: datetime,
) -> None:
    for related in add:
        people.relate(conn, workspace, person, key=_object_key(related.object), attributes=related.attributes, now=now)
    for ref in delete:
        people.unrelate(conn, workspace, person, key=_object_key(ref), now=now)


_EVENT_TYPES = {Track: EventType.EVENT, Page: EventType.PAGE, Screen: EventType.SCREEN}


def _track(
    conn: Connection, workspace: Workspace, message: Track, *, now: datetime, events: people.EventRun | None
) -> None:
    person = None
    if message.person is not None:
        ref = _resolve(message.person, workspace)
        if events is not None:
            person = events.person(workspace, ref=ref, now=now)
        else:
            person = people.find_or_create_person(conn, workspace, ref=ref, now=now)
    timestamp = message.timestamp or message.received_at
    event = {
        "person": person,
        "anonymous_id": message.anonymous_id,
        "type": _EVENT_TYPES[type(message)],
        "name": message.name,
        "data": message.properties,
        "timestamp": timestamp,
        "event_id": message.event_id or str(ULID.from_datetime(timestamp)),
        "received_at": message.received_at,
        "now": now,
    }
    if events is not None:
        events.record(workspace, **event)
    else:
        people.record_event(conn, workspace, **event)


def _merge(conn: Connection, workspace: Workspace, message: Merge, *, now: datetime) -> None:
    """A merge whose primary or secondary does not exist does nothing, as at Customer.io."""
    primary = people.find_person(conn, workspace_id=workspace.id, ref=_resolve(message.primary, workspace))
    secondary = people.find_person(conn, workspace_id=workspace.id, ref=_resolve(message.secondary, workspace))
    if primary is None or secondary is None or primary.cio_id == secondary.cio_id:
        return
    people.merge_people(conn, workspace, primary=primary, secondary=secondary, source="api", now=now)


def _object_key(ref: ObjectRef) -> ObjectKey:
    return ObjectKey(type_id=ref.type_id, object_id=ref.object_id, cio_object_id=ref.cio_object_id)


def _run_people(
    messages: list[tuple[LogEntry, Message]], *, start: int, workspace: Workspace
) -> tuple[list[ResolvedRef], int]:
    """The people named by the run of events of `workspace` from `start`, and where the run ends."""
    refs = []
    end = start
    while end < len(messages) and messages[end][0].workspace_id == workspace.id and isinstance(messages[end][1], Track):
        person = messages[end][1].person
        if person is not None:
            refs.append(_resolve(person, workspace))
        end += 1
    return refs, end


def _resolve(ref: PersonRef, workspace: Workspace) -> ResolvedRef:
    if ref.cio_id:
        return ResolvedRef(IdentifierKind.CIO_ID, ref.cio_id)
    if ref.id:
        return ResolvedRef(IdentifierKind.ID, ref.id)
    if ref.email:
        return ResolvedRef(IdentifierKind.EMAIL, ref.email)
    assert ref.user_id, "ingest must name a person by cio_id, id, email or user_id"
    return people.resolve_user_id(
        ref.user_id, email_is_identifier=workspace.identifier_mode is IdentifierMode.EMAIL_OR_ID
    )
