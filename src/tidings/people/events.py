"""Recording events, page views and screen views, and merging anonymous ones into people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.clock import to_unix
from tidings.people import activity_queries, queries
from tidings.people.activity import activity_row
from tidings.people.anonymous import ANONYMOUS_LATE_WINDOW, ANONYMOUS_RETENTION
from tidings.people.devices import adopt_anonymous_devices
from tidings.people.device_queries import delete_anonymous_devices_received_before
from tidings.people.object_queries import delete_anonymous_relationships_received_before
from tidings.people.objects import adopt_anonymous_relationships
from tidings.people.identify import find_or_create_person, person_for
from tidings.people.identifiers import email_key
from tidings.people.types import ActivityType, EventType, IdentifierKind, Person, ResolvedRef
from tidings.workspaces import Workspace

__all__ = [
    "EventRun",
    "merge_anonymous_events",
    "purge_expired_anonymous_events",
    "record_event",
]



def record_event(
    conn: Connection,
    workspace: Workspace,
    *,
    person: Person | None,
    anonymous_id: str | None,
    type: EventType,
    name: str,
    data: dict[str, Any],
    timestamp: datetime,
    event_id: str,
    received_at: datetime,
    now: datetime,
) -> bool:
    """Store an event for a person, or anonymously; False if its event id was already seen.

    An anonymous event whose anonymous id was merged less than 5 minutes ago joins that person.
    Page and screen views update the person's `_last_visit`.
    """
    run = EventRun(conn)
    run.record(
        workspace,
        person=person,
        anonymous_id=anonymous_id,
        type=type,
        name=name,
        data=data,
        timestamp=timestamp,
        event_id=event_id,
        received_at=received_at,
        now=now,
    )
    return run.flush() == 1


class EventRun:
    """A run of events recorded with few statements, for the processor's batches.

    Each person and anonymous id is looked up once per run; the people it creates, the events and
    one `_last_visit` update per person are written together at `flush()`. Nothing else may change
    people, identifiers or anonymous merges between the first `person()` or `record()` and
    `flush()`: the caller flushes before applying any other kind of message. The outcome is that of
    calling `find_or_create_person` and `record_event` for each event in turn.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # None: looked up, and nobody has the identifier.
        self._people: dict[tuple[int, IdentifierKind, str], Person | None] = {}
        self._new_people: list[tuple[int, Person]] = []
        self._merges: dict[tuple[int, str], tuple[str, datetime] | None] = {}
        self._rows: list[dict[str, Any]] = []
        self._event_ids: set[tuple[int, str]] = set()
        # (workspace, person, event id, unix time) of each page and screen view.
        self._visits: list[tuple[Workspace, Person, str, int]] = []

    def look_up(self, workspace: Workspace, refs: Sequence[ResolvedRef]) -> None:
        """Find the people `refs` name in one statement per kind of identifier, for the `person()`
        calls of this run. Skipped in workspaces with suppressions, where each identifier is checked."""
        if workspace.has_suppressions:
            return
        wanted = {ref for ref in refs if _person_key(workspace, ref) not in self._people}
        if not wanted:
            return
        found = queries.find_people(self._conn, workspace_id=workspace.id, refs=list(wanted))
        for ref in wanted:
            self._people[_person_key(workspace, ref)] = found.get(ref)

    def person(self, workspace: Workspace, *, ref: ResolvedRef, now: datetime) -> Person:
        """As `find_or_create_person`, once per `ref` in a run."""
        key = _person_key(workspace, ref)
        if key not in self._people:
            person = find_or_create_person(self._conn, workspace, ref=ref, now=now)
        elif (found := self._people[key]) is not None:
            person = found
        else:  # looked up and not found: stored with the events
            person = person_for(ref, now=now)
            self._new_people.append((workspace.id, person))
        self._people[key] = person
        return person

    def record(
        self,
        workspace: Workspace,
        *,
        person: Person | None,
        anonymous_id: str | None,
        type: EventType,
        name: str,
        data: dict[str, Any],
        timestamp: datetime,
        event_id: str,
        received_at: datetime,
        now: datetime,
    ) -> None:
        """As `record_event`, written at the next `flush()`."""
        merged = None
        if person is None and anonymous_id and workspace.anonymous_merge:
            key = (workspace.id, anonymous_id)
            if key not in self._merges:
                self._merges[key] = activity_queries.find_anonymous_merge(
                    self._conn, workspace_id=workspace.id, anonymous_id=anonymous_id
                )
            merged = self._merges[key]
        if (workspace.id, event_id) in self._event_ids:
            return  # a repeat of an event id earlier in the run, which the database would refuse
        self._event_ids.add((workspace.id, event_id))
        self._rows.append(
            _event_row(
                workspace,
                person=person,
                merged=merged,
                anonymous_id=anonymous_id,
                type=type,
                name=name,
                data=data,
                timestamp=timestamp,
                event_id=event_id,
                received_at=received_at,
                now=now,
            )
        )
        if person is not None and type is not EventType.EVENT:
            self._visits.append((workspace, person, event_id, to_unix(timestamp)))

    def flush(self) -> int:
        """Write the new people, the recorded events and `_last_visit` updates, and start a new run.

        Returns how many events were stored (the others repeated an event id seen before).
        """
        queries.insert_people(self._conn, self._new_people)
        inserted: set[tuple[int, str]] = set()
        if self._rows:
            inserted = activity_queries.insert_events(self._conn, self._rows)
            latest: dict[tuple[int, str], tuple[Person, int]] = {}
            for workspace, person, event_id, visited in self._visits:
                key = (workspace.id, person.cio_id)
                if (workspace.id, event_id) in inserted and (key not in latest or latest[key][1] < visited):
                    latest[key] = (person, visited)
            visits = [
                (workspace_id, _visited(person, visited))
                for (workspace_id, _), (person, visited) in latest.items()
                if person.attributes.get("_last_visit", 0) < visited
            ]
            # A visit changes attributes only; its person is stored (found, or inserted above).
            queries.update_attributes(self._conn, visits)
        self._people.clear()
        self._new_people.clear()
        self._merges.clear()
        self._rows.clear()
        self._event_ids.clear()
        self._visits.clear()
        return len(inserted)


def _person_key(workspace: Workspace, ref: ResolvedRef) -> tuple[int, IdentifierKind, str]:
    """Refs that find the same person share a key: emails match case-insensitively."""
    return (workspace.id, ref.kind, email_key(ref.value) if ref.kind is IdentifierKind.EMAIL else ref.value)


def _event_row(
    workspace: Workspace,
    *,
    person: Person | None,
    merged: tuple[str, datetime] | None,
    anonymous_id: str | None,
    type: EventType,
    name: str,
    data: dict[str, Any],
    timestamp: datetime,
    event_id: str,
    received_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    """The events row; `merged` is the (cio_id, merged_at) of the anonymous id's merge, if any."""
    cio_id = person.cio_id if person else None
    if cio_id is None and merged is not None and now - merged[1] <= ANONYMOUS_LATE_WINDOW:
        cio_id = merged[0]
    return {
        "workspace_id": workspace.id,
        "cio_id": cio_id,
        "anonymous_id": anonymous_id,
        "event_id": event_id,
        "type": type.value,
        "name": name,
        "data": data,
        "timestamp": timestamp,
        "received_at": received_at,
        "processed_at": now if cio_id else None,
    }


def _visited(person: Person, visited: int) -> Person:
    """The person with `_last_visit` set to unix time `visited`."""
    return replace(
        person,
        attributes={**person.attributes, "_last_visit": visited},
        attribute_timestamps={**person.attribute_timestamps, "_last_visit": visited},
    )


def merge_anonymous_events(
    conn: Connection, workspace: Workspace, person: Person, *, anonymous_id: str, now: datetime
) -> int:
    """Attach an anonymous id's events, devices and relationships to a person, once; returns how
    many events were attached.

    An anonymous id merges into the first person identified with it and is not reusable.
    """
    if not workspace.anonymous_merge:
        return 0
    if not activity_queries.insert_anonymous_merge(
        conn, workspace_id=workspace.id, anonymous_id=anonymous_id, cio_id=person.cio_id, now=now
    ):
        return 0  # merged before
    count, oldest = activity_queries.attach_anonymous_events(
        conn, workspace_id=workspace.id, anonymous_id=anonymous_id, cio_id=person.cio_id, now=now
    )
    adopt_anonymous_devices(conn, workspace, person, anonymous_id=anonymous_id, now=now)
    adopt_anonymous_relationships(conn, workspace, person, anonymous_id=anonymous_id, now=now)
    if count:
        activity_queries.insert_activities(
            conn,
            [
                activity_row(
                    workspace.id,
                    person.cio_id,
                    ActivityType.ANONYMOUS_MERGE,
                    name=anonymous_id,
                    data={"anonymous_id": anonymous_id, "count": count, "oldest_timestamp": to_unix(oldest)},
                    now=now,
                )
            ],
        )
    return count


def purge_expired_anonymous_events(conn: Connection, *, now: datetime) -> int:
    """Delete the anonymous events, devices and relationships nobody was identified with for 30
    days; returns how many events."""
    delete_anonymous_devices_received_before(conn, cutoff=now - ANONYMOUS_RETENTION)
    delete_anonymous_relationships_received_before(conn, cutoff=now - ANONYMOUS_RETENTION)
    return activity_queries.delete_anonymous_events_received_before(conn, cutoff=now - ANONYMOUS_RETENTION)
