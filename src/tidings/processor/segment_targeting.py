"""Which live segments a message can move its people in or out of, re-evaluated in the same
transaction as the change: at the end of the batch (`SegmentTargets`), or, when a batch is redone
a message at a time, after each message (`refresh_segments`).

Most messages change one person, or a few named in the call. Two change more: an object's new
attributes, or its deletion, can move everyone related to it, so those people are held before the
change (a deletion takes the relationships with it) and re-evaluated together after it. An
identify that merges an anonymous id brings the person events, devices and relationships, so the
segments that read those names, devices or object types are re-evaluated for them, once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from tidings import people, segments
from tidings.log import (
    ChangeSegment,
    DeleteDevice,
    DeleteObject,
    Identify,
    IdentifyObject,
    Merge,
    Message,
    ObjectRef,
    Page,
    PersonRef,
    Relate,
    RelatedObject,
    ReportDelivery,
    Screen,
    Track,
    Unrelate,
    UnrelateObject,
    UpsertDevice,
)
from tidings.people import ObjectKey
from tidings.processor.references import EVENT_TYPES, object_key, resolve
from tidings.workspaces import Workspace

__all__ = ["ObjectChange", "SegmentTargets", "before_change", "refresh_segments"]

# An object before a message changes it, and for a deletion the people related to it.
ObjectChange = tuple[people.Object, segments.Cohort | None]


def before_change(
    conn: Connection, workspace: Workspace, message: Message, live: list[segments.LiveSegment]
) -> ObjectChange | None:
    """What must be read before a message is applied for `refresh_segments` to see whom it
    changed: an object whose attributes may change or that is deleted, and whom it relates."""
    return _object_before(conn, workspace, message, live) if live else None


def refresh_segments(
    conn: Connection,
    workspace: Workspace,
    message: Message,
    live: list[segments.LiveSegment],
    *,
    now: datetime,
    before: ObjectChange | None = None,
) -> None:
    """Move the people a message changed in or out of the live segments whose conditions read what
    it changed, in the same transaction as the change (after it; `before` from `before_change`)."""
    if not live:
        return
    for ref, touched in _touches(conn, message, workspace, live, now=now):
        person = people.find_person(conn, workspace_id=workspace.id, ref=resolve(ref, workspace))
        if person is None:
            continue
        if person.created_at == now:
            touched = segments.EVERYTHING  # a new person: every segment may now hold them
        segments.refresh_person(
            conn, workspace_id=workspace.id, cio_id=person.cio_id, segments=live, touched=touched, now=now
        )
    if before is not None:
        _refresh_cohort(conn, workspace, before, live, now=now)


class SegmentTargets:
    """The people a batch of messages changed, and what about them, re-evaluated together at the
    end of the batch, in its transaction: a statement per kind of data instead of several per
    message, and the batch's events are still written together (`people.EventRun`).

    A person created in the batch is re-evaluated for every segment. People related to an object
    that changes are re-evaluated as the change is applied (`refresh_segments`).
    """

    def __init__(self) -> None:
        self._touched: dict[int, tuple[Workspace, list[segments.LiveSegment], dict[PersonRef, segments.Reads]]] = {}
        self._started: datetime | None = None

    def note(
        self,
        conn: Connection,
        workspace: Workspace,
        message: Message,
        live: list[segments.LiveSegment],
        *,
        now: datetime,
        before: ObjectChange | None = None,
    ) -> None:
        """Remember whom an applied message changed (`before` from `before_change`)."""
        if not live:
            return
        if self._started is None:
            self._started = now
        _, _, touched = self._touched.setdefault(workspace.id, (workspace, live, {}))
        for ref, reads in _touches(conn, message, workspace, live, now=now):
            touched[ref] = _combined(touched[ref], reads) if ref in touched else reads
        if before is not None:
            _refresh_cohort(conn, workspace, before, live, now=now)

    def refresh(self, conn: Connection, *, now: datetime) -> None:
        """Re-evaluate everyone noted since the last refresh, then start over."""
        for workspace, live, touched in self._touched.values():
            refs = {ref: resolve(ref, workspace) for ref in touched}
            found = people.find_people(conn, workspace_id=workspace.id, refs=list(set(refs.values())))
            by_person: dict[str, segments.Reads] = {}
            for ref, reads in touched.items():
                person = found.get(refs[ref])
                if person is None:
                    continue  # deleted, or merged away (the merge re-evaluates who remains)
                if self._started is not None and person.created_at >= self._started:
                    reads = segments.EVERYTHING  # a new person: every segment may now hold them
                cio_id = person.cio_id
                by_person[cio_id] = _combined(by_person[cio_id], reads) if cio_id in by_person else reads
            segments.refresh_people(conn, workspace_id=workspace.id, touched=by_person, segments=live, now=now)
        self._touched.clear()
        self._started = None


def _combined(first: segments.Reads, second: segments.Reads) -> segments.Reads:
    if first is segments.EVERYTHING or second is segments.EVERYTHING:
        return segments.EVERYTHING
    return first | second


def _refresh_cohort(
    conn: Connection, workspace: Workspace, before: ObjectChange, live: list[segments.LiveSegment], *, now: datetime
) -> None:
    cohort = _changed_object_cohort(conn, workspace, *before)
    if cohort is not None:
        segments.refresh_cohort(conn, workspace_id=workspace.id, cohort=cohort, segments=live, now=now)


def _touches(
    conn: Connection, message: Message, workspace: Workspace, live: list[segments.LiveSegment], *, now: datetime
) -> list[tuple[PersonRef, segments.Reads]]:
    """Who a message changed, and what about them (as far as the `live` segments read it)."""
    Reads = segments.Reads
    match message:
        case Identify():
            refs = [r.object for r in message.add_relationships] + message.delete_relationships
            attributes = frozenset(name.partition(".")[0] for name in message.traits) | {"id", "email"}
            touched = [(message.person, Reads(attributes=attributes, object_type_ids=_type_ids(conn, workspace, refs)))]
            return touched + _merged(conn, workspace, message.anonymous_id, live, now=now)
        case Track() | Page() | Screen():
            person = message.person or _late_joiner(conn, workspace, message.anonymous_id, now=now)
            if person is None:
                return []
            return [(person, Reads(events=frozenset({(EVENT_TYPES[type(message)], message.name)})))]
        case UpsertDevice() | DeleteDevice():
            person = message.person or _late_joiner(conn, workspace, message.anonymous_id, now=now)
            return [] if person is None else [(person, Reads(has_devices=True))]
        case Relate() | Unrelate():
            refs = [r.object if isinstance(r, RelatedObject) else r for r in message.objects]
            return [(message.person, Reads(object_type_ids=_type_ids(conn, workspace, refs)))]
        case IdentifyObject():
            touched = Reads(object_type_ids=_type_ids(conn, workspace, [message.object]))
            joiners = (_late_joiner(conn, workspace, r.anonymous_id, now=now) for r in message.add_anonymous_relationships)
            related = [r.person for r in message.add_relationships] + [ref for ref in joiners if ref is not None]
            return [(ref, touched) for ref in related]
        case UnrelateObject():
            touched = Reads(object_type_ids=_type_ids(conn, workspace, [message.object]))
            return [(ref, touched) for ref in message.people]
        case Merge():
            return [(message.primary, segments.EVERYTHING)]
        case ChangeSegment():
            touched = Reads(segment_ids=frozenset({message.segment_id}))
            return [(ref, touched) for ref in [*message.add, *message.remove]]
        case ReportDelivery() if any(segment.reads.has_messages for segment in live):
            # Opens, clicks, bounces reported for a delivery: message conditions count them.
            cio_id = segments.delivery_cio_id(conn, workspace_id=workspace.id, delivery_id=message.delivery_id)
            return [] if cio_id is None else [(PersonRef(cio_id=cio_id), Reads(has_messages=True))]
    return []


def _object_before(
    conn: Connection, workspace: Workspace, message: Message, live: list[segments.LiveSegment]
) -> ObjectChange | None:
    """Before an object's attributes change or it is deleted: the object, if a live segment reads
    its type, and for a deletion the people related to it (they go with it)."""
    match message:
        case IdentifyObject() if message.attributes:
            obj = people.find_object(conn, workspace, key=object_key(message.object))
            if obj is not None and _is_read(live, obj.type_id):
                return obj, None
        case DeleteObject():
            obj = people.find_object(conn, workspace, key=object_key(message.object))
            if obj is not None and _is_read(live, obj.type_id):
                held = segments.hold_cohort(conn, workspace_id=workspace.id, cio_object_id=obj.cio_object_id, type_id=obj.type_id)
                return obj, held
    return None


def _changed_object_cohort(
    conn: Connection, workspace: Workspace, before: people.Object, held: segments.Cohort | None
) -> segments.Cohort | None:
    """The people to re-evaluate after an object changed: those held before a deletion, or, when
    an update changed the attributes, everyone related to it now."""
    if held is not None:
        return held
    after = people.find_object(conn, workspace, key=ObjectKey(cio_object_id=before.cio_object_id))
    if after is None or after.attributes == before.attributes:
        return None
    return segments.hold_cohort(conn, workspace_id=workspace.id, cio_object_id=after.cio_object_id, type_id=after.type_id)


def _is_read(live: list[segments.LiveSegment], type_id: int) -> bool:
    return any(type_id in segment.reads.object_type_ids for segment in live)


def _type_ids(conn: Connection, workspace: Workspace, refs: list[ObjectRef]) -> frozenset[int]:
    """The object types `refs` name; one named by cio_object_id alone has the type it was created with."""
    found = set()
    for ref in refs:
        if ref.cio_object_id:
            obj = people.find_object(conn, workspace, key=object_key(ref))
            if obj is not None:
                found.add(obj.type_id)
        else:
            found.add(ref.type_id)
    return frozenset(found)


def _late_joiner(conn: Connection, workspace: Workspace, anonymous_id: str | None, *, now: datetime) -> PersonRef | None:
    """The person what an anonymous id sends now joins directly (it merged into them moments ago)."""
    if not anonymous_id or not workspace.anonymous_merge:
        return None
    person = people.late_joiner(conn, workspace, anonymous_id=anonymous_id, now=now)
    return None if person is None else PersonRef(cio_id=person.cio_id)


def _merged(
    conn: Connection, workspace: Workspace, anonymous_id: str | None, live: list[segments.LiveSegment], *, now: datetime
) -> list[tuple[PersonRef, segments.Reads]]:
    """What this identify's merge of an anonymous id brought the person: the events of its names,
    devices, relationships. Nothing if it merged nothing (a later identify with the same id does
    not merge again)."""
    if not anonymous_id or not workspace.anonymous_merge:
        return []
    merge = people.anonymous_merge(conn, workspace, anonymous_id=anonymous_id)
    if merge is None or merge[1] != now:
        return []
    cio_id = merge[0]
    kinds = segments.anonymous_event_kinds(conn, workspace_id=workspace.id, anonymous_id=anonymous_id, cio_id=cio_id)
    types = frozenset().union(*(segment.reads.object_type_ids for segment in live))
    brought = segments.Reads(events=kinds, has_devices=True, object_type_ids=types)
    return [(PersonRef(cio_id=cio_id), brought)]
