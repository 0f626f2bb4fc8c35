"""Recording events, page views and screen views, and merging anonymous ones into people."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from tidings.clock import to_unix
from tidings.people import queries
from tidings.people.activity import activity_row
from tidings.people.types import ActivityType, EventType, Person
from tidings.workspaces import Workspace

__all__ = [
    "ANONYMOUS_LATE_WINDOW",
    "ANONYMOUS_RETENTION",
    "merge_anonymous_events",
    "purge_expired_anonymous_events",
    "record_event",
]

# Anonymous events that arrive up to 5 minutes after the identify that merged their anonymous id
# still join the person; after that the anonymous id cannot be reused.
ANONYMOUS_LATE_WINDOW = timedelta(minutes=5)
# Unmerged anonymous events are kept 30 days.
ANONYMOUS_RETENTION = timedelta(days=30)


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
    cio_id = person.cio_id if person else None
    if cio_id is None and anonymous_id and workspace.anonymous_merge:
        merged = queries.find_anonymous_merge(conn, workspace_id=workspace.id, anonymous_id=anonymous_id)
        if merged is not None and now - merged[1] <= ANONYMOUS_LATE_WINDOW:
            cio_id = merged[0]
    inserted = queries.insert_event(
        conn,
        {
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
        },
    )
    if inserted and person is not None and type is not EventType.EVENT:
        _touch_last_visit(conn, workspace, person, timestamp=timestamp)
    return inserted


def _touch_last_visit(conn: Connection, workspace: Workspace, person: Person, *, timestamp: datetime) -> None:
    visited = to_unix(timestamp)
    if person.attributes.get("_last_visit", 0) >= visited:
        return
    attributes = {**person.attributes, "_last_visit": visited}
    timestamps = {**person.attribute_timestamps, "_last_visit": visited}
    queries.update_person(
        conn,
        workspace_id=workspace.id,
        person=Person(
            cio_id=person.cio_id,
            id=person.id,
            email=person.email,
            attributes=attributes,
            attribute_timestamps=timestamps,
            created_at=person.created_at,
            updated_at=person.updated_at,
        ),
    )


def merge_anonymous_events(
    conn: Connection, workspace: Workspace, person: Person, *, anonymous_id: str, now: datetime
) -> int:
    """Attach an anonymous id's events to a person, once; returns how many were attached.

    An anonymous id merges into the first person identified with it and is not reusable.
    """
    if not workspace.anonymous_merge:
        return 0
    if queries.find_anonymous_merge(conn, workspace_id=workspace.id, anonymous_id=anonymous_id):
        return 0
    queries.insert_anonymous_merge(
        conn, workspace_id=workspace.id, anonymous_id=anonymous_id, cio_id=person.cio_id, now=now
    )
    count, oldest = queries.attach_anonymous_events(
        conn, workspace_id=workspace.id, anonymous_id=anonymous_id, cio_id=person.cio_id, now=now
    )
    if count:
        queries.insert_activities(
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
    """Delete anonymous events nobody was identified with for 30 days; returns how many."""
    return queries.delete_anonymous_events_received_before(conn, cutoff=now - ANONYMOUS_RETENTION)
