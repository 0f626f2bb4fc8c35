"""Which live segments a message can move its people in or out of, re-evaluated in the same
transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from tidings import people, segments
from tidings.log import (
    ChangeSegment,
    DeleteDevice,
    Identify,
    IdentifyObject,
    Merge,
    Message,
    Page,
    PersonRef,
    Relate,
    RelatedObject,
    Screen,
    Track,
    Unrelate,
    UnrelateObject,
    UpsertDevice,
)
from tidings.processor.references import EVENT_TYPES, resolve
from tidings.workspaces import Workspace


def refresh_segments(
    conn: Connection, workspace: Workspace, message: Message, live: list[segments.LiveSegment], *, now: datetime
) -> None:
    """Move the people a message changed in or out of the live segments whose conditions read what
    it changed, in the same transaction as the change."""
    if not live:
        return
    for ref, touched in _touches(message, workspace):
        person = people.find_person(conn, workspace_id=workspace.id, ref=resolve(ref, workspace))
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
            return [(message.person, Reads(events=frozenset({(EVENT_TYPES[type(message)], message.name)})))]
        case UpsertDevice() | DeleteDevice() if message.person is not None:
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
