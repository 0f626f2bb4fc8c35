"""What each kind of canonical message does: one dispatch, and a function per kind that needs more
than a call into the people, segments or messaging packages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings import messaging, people, segments
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
)
from tidings.people import ObjectKey, Person, ResolvedRef
from tidings.processor.references import EVENT_TYPES, object_key, resolve
from tidings.workspaces import Workspace

logger = logging.getLogger(__name__)

# What a person deleted, suppressed or merged away leaves: their segments, exits fed as any other.
DEPARTURES: people.Departures = segments.MembershipDepartures()


def apply_message(
    conn: Connection,
    workspace: Workspace,
    message: Message,
    *,
    now: datetime,
    events: people.EventRun | None = None,
    identifies: people.IdentifyRun | None = None,
) -> None:
    """Apply one canonical message. Raises a TidingsError when the message breaks a rule.

    With `events`, an event is recorded in that run and written at its flush, which any other kind
    of message calls first; likewise an identify without relationships (`is_run_identify`) with
    `identifies`, which an event lets write what it needs first (`IdentifyRun.share_people`).
    """
    if events is not None and not isinstance(message, Track):
        events.flush()
    if identifies is not None and isinstance(message, Track):
        identifies.share_people(workspace, [resolve(message.person, workspace)] if message.person else [])
    elif identifies is not None and not is_run_identify(message):
        identifies.flush()
    match message:
        case Identify() if identifies is not None and is_run_identify(message):
            person = identifies.identify(
                workspace,
                ref=resolve(message.person, workspace),
                traits=message.traits,
                attributes_at=message.attributes_at or message.received_at,
                update_only=message.update_only,
                now=now,
            )
            if person is not None and message.anonymous_id:
                # The merge reads and writes events, devices and relationships, never people: the
                # person may stay pending, but its activity rows go first, as one at a time.
                identifies.write_activities()
                people.merge_anonymous_events(conn, workspace, person, anonymous_id=message.anonymous_id, now=now)
        case Identify():
            _identify(conn, workspace, message, now=now)
        case Track() | Page() | Screen():
            _track(conn, workspace, message, now=now, events=events)
        case Merge():
            _merge(conn, workspace, message, now=now)
        case DeletePerson():
            people.delete_person(
                conn, workspace, ref=resolve(message.person, workspace), departures=DEPARTURES, now=now
            )
        case SuppressPerson():
            people.suppress_person(
                conn, workspace, ref=resolve(message.person, workspace), departures=DEPARTURES, now=now
            )
        case UnsuppressPerson():
            people.unsuppress_person(conn, workspace, ref=resolve(message.person, workspace))
        case UpsertDevice():
            _upsert_device(conn, workspace, message, now=now)
        case DeleteDevice():
            _delete_device(conn, workspace, message, now=now)
        case IdentifyObject():
            _identify_object(conn, workspace, message, now=now)
        case DeleteObject():
            people.delete_object(conn, workspace, key=object_key(message.object))
        case UnrelateObject():
            key = object_key(message.object)
            for ref in message.people:
                person = people.find_person(conn, workspace_id=workspace.id, ref=resolve(ref, workspace))
                if person is not None:
                    people.unrelate(conn, workspace, person, key=key, now=now)
        case Relate():
            person = people.find_or_create_person(conn, workspace, ref=resolve(message.person, workspace), now=now)
            _change_relationships(conn, workspace, person, add=message.objects, delete=[], now=now)
        case Unrelate():
            person = people.find_person(conn, workspace_id=workspace.id, ref=resolve(message.person, workspace))
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


def is_run_identify(message: Message) -> bool:
    """An identify that changes nothing but the person, and merges its anonymous id if it has one:
    an IdentifyRun can apply it."""
    return isinstance(message, Identify) and not message.add_relationships and not message.delete_relationships


def identify_calls(
    messages: Sequence[tuple[LogEntry, Message]], *, start: int, workspace: Workspace
) -> tuple[list[tuple[ResolvedRef, dict[str, Any]]], int]:
    """The (ref, traits) of the run identifies from `start` until a message that ends an
    IdentifyRun (anything but such an identify or an event of `workspace`), to look up at once,
    and where that message is."""
    calls = []
    end = start
    while end < len(messages) and messages[end][0].workspace_id == workspace.id:
        message = messages[end][1]
        if is_run_identify(message):
            assert isinstance(message, Identify)
            calls.append((resolve(message.person, workspace), message.traits))
        elif not isinstance(message, Track):
            break
        end += 1
    return calls, end


def _identify(conn: Connection, workspace: Workspace, message: Identify, *, now: datetime) -> None:
    person = people.identify(
        conn,
        workspace,
        ref=resolve(message.person, workspace),
        traits=message.traits,
        attributes_at=message.attributes_at or message.received_at,
        update_only=message.update_only,
        departures=DEPARTURES,
        now=now,
    )
    if person is None:
        return
    if message.anonymous_id:
        people.merge_anonymous_events(conn, workspace, person, anonymous_id=message.anonymous_id, now=now)
    _change_relationships(
        conn, workspace, person, add=message.add_relationships, delete=message.delete_relationships, now=now
    )


def _upsert_device(conn: Connection, workspace: Workspace, message: UpsertDevice, *, now: datetime) -> None:
    device = {
        "token": message.token,
        "platform": message.platform,
        "last_used": message.last_used or message.received_at,
        "attributes": message.attributes,
        "now": now,
    }
    if message.person is None:
        assert message.anonymous_id, "ingest must name a device's person or anonymous id"
        people.upsert_anonymous_device(conn, workspace, anonymous_id=message.anonymous_id, **device)
        return
    person = people.find_or_create_person(conn, workspace, ref=resolve(message.person, workspace), now=now)
    people.upsert_device(conn, workspace, person, **device)


def _delete_device(conn: Connection, workspace: Workspace, message: DeleteDevice, *, now: datetime) -> None:
    if message.person is None:
        assert message.anonymous_id, "ingest must name a device's person or anonymous id"
        people.delete_anonymous_device(
            conn, workspace, anonymous_id=message.anonymous_id, token=message.token, now=now
        )
        return
    person = people.find_person(conn, workspace_id=workspace.id, ref=resolve(message.person, workspace))
    if person is not None:
        people.delete_device(conn, workspace, person, token=message.token, now=now)


def _identify_object(conn: Connection, workspace: Workspace, message: IdentifyObject, *, now: datetime) -> None:
    """People named by a relationship are found or created; one who cannot be (a suppressed
    identifier, an unknown cio_id) is left out without failing the object's update."""
    obj = people.identify_object(
        conn, workspace, key=object_key(message.object), attributes=message.attributes, now=now
    )
    for related in message.add_relationships:
        try:
            person = people.find_or_create_person(conn, workspace, ref=resolve(related.person, workspace), now=now)
        except (people.IdentifierSuppressed, people.PersonNotFound) as exc:
            logger.info("relationship not applied: %s", exc, extra={"workspace_id": workspace.id})
            continue
        key = ObjectKey(cio_object_id=obj.cio_object_id)
        people.relate(conn, workspace, person, key=key, attributes=related.attributes, now=now)
    for anonymous in message.add_anonymous_relationships:
        people.relate_anonymous(
            conn,
            workspace,
            anonymous_id=anonymous.anonymous_id,
            key=ObjectKey(cio_object_id=obj.cio_object_id),
            attributes=anonymous.attributes,
            now=now,
        )


def _change_segment(conn: Connection, workspace: Workspace, message: ChangeSegment, *, now: datetime) -> None:
    """People who do not exist are skipped: a manual segment never creates anyone."""
    segment = segments.find_segment(conn, workspace_id=workspace.id, segment_id=message.segment_id)
    if segment is None:
        return  # deleted since the call was accepted

    def existing(refs: list[PersonRef]) -> list[str]:
        found = (people.find_person(conn, workspace_id=workspace.id, ref=resolve(ref, workspace)) for ref in refs)
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
        cio_id = people.find_or_create_person(conn, workspace, ref=resolve(message.person, workspace), now=now).cio_id
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
        people.relate(conn, workspace, person, key=object_key(related.object), attributes=related.attributes, now=now)
    for ref in delete:
        people.unrelate(conn, workspace, person, key=object_key(ref), now=now)


def _track(
    conn: Connection, workspace: Workspace, message: Track, *, now: datetime, events: people.EventRun | None
) -> None:
    person = None
    if message.person is not None:
        ref = resolve(message.person, workspace)
        if events is not None:
            person = events.person(workspace, ref=ref, now=now)
        else:
            person = people.find_or_create_person(conn, workspace, ref=ref, now=now)
    timestamp = message.timestamp or message.received_at
    event = {
        "person": person,
        "anonymous_id": message.anonymous_id,
        "type": EVENT_TYPES[type(message)],
        "name": message.name,
        "data": message.properties,
        "timestamp": timestamp,
        "event_id": message.event_id or people.new_event_id(timestamp),
        "received_at": message.received_at,
        "now": now,
    }
    if events is not None:
        events.record(workspace, **event)
    else:
        people.record_event(conn, workspace, **event)


def _merge(conn: Connection, workspace: Workspace, message: Merge, *, now: datetime) -> None:
    """A merge whose primary or secondary does not exist does nothing, as at Customer.io."""
    primary = people.find_person(conn, workspace_id=workspace.id, ref=resolve(message.primary, workspace))
    secondary = people.find_person(conn, workspace_id=workspace.id, ref=resolve(message.secondary, workspace))
    if primary is None or secondary is None or primary.cio_id == secondary.cio_id:
        return
    people.merge_people(
        conn, workspace, primary=primary, secondary=secondary, source="api", departures=DEPARTURES, now=now
    )
