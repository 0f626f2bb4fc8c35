"""Who is in a segment, and the record of people entering and leaving.

Every entry and exit is written, in the same transaction as the change, twice: to the person's
activity (`entered_segment`, `exited_segment`) and to the membership change feed that campaigns
read (`read_membership_changes`). Manual segments take existing people only: nobody is created
by being added to one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.segments import rechecks, storage
from tidings.segments.definitions import Segment, SegmentKind, SegmentState
from tidings.segments.types import ChangeKind

__all__ = [
    "ENTERED_ACTIVITY",
    "EXITED_ACTIVITY",
    "MembershipDepartures",
    "add_to_segment",
    "change_memberships",
    "clear_segment",
    "create_manual_segment",
    "delete_segment",
    "manual_segment",
    "remove_from_segment",
]

ENTERED_ACTIVITY = "entered_segment"
EXITED_ACTIVITY = "exited_segment"
_ACTIVITY = {ChangeKind.ENTERED: ENTERED_ACTIVITY, ChangeKind.EXITED: EXITED_ACTIVITY}


def create_manual_segment(
    conn: Connection, *, workspace_id: int, name: Any, description: Any, now: datetime
) -> Segment:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name is required", field="name")
    segment = Segment(
        id=0,
        name=name.strip()[:200],
        description=str(description or ""),
        kind=SegmentKind.MANUAL,
        conditions=None,
        state=SegmentState.READY,
        progress=100,
        created_at=now,
        updated_at=now,
    )
    return replace(segment, id=storage.insert_segment(conn, workspace_id=workspace_id, segment=segment))


def manual_segment(conn: Connection, *, workspace_id: int, segment_id: int) -> Segment:
    """The manual segment `segment_id`; NotFound, or InvalidInput for a data-driven one."""
    segment = storage.find_segment(conn, workspace_id=workspace_id, segment_id=segment_id)
    if segment is None:
        raise NotFound("segment not found")
    if segment.kind is not SegmentKind.MANUAL:
        raise InvalidInput("people can only be added to or removed from manual segments", field="segment_id")
    return segment


def delete_segment(conn: Connection, *, workspace_id: int, segment_id: int, now: datetime) -> None:
    """Delete a segment (never its people, who exit it); refused while another segment's
    conditions name it."""
    segment = storage.find_segment(conn, workspace_id=workspace_id, segment_id=segment_id)
    if segment is None:
        raise NotFound("segment not found")
    users = [
        other.id
        for other in storage.list_segments(conn, workspace_id=workspace_id)
        if other.id != segment_id and segment_id in _referenced_segments(other.conditions)
    ]
    if users:
        raise Conflict(f"segment {segment_id} is used by segment {', '.join(map(str, users))}")
    clear_segment(conn, workspace_id=workspace_id, segment=segment, now=now)
    rechecks.clear_segment_rechecks(conn, workspace_id=workspace_id, segment_id=segment_id)
    storage.delete_segment(conn, workspace_id=workspace_id, segment_id=segment_id)


def add_to_segment(
    conn: Connection, *, workspace_id: int, segment: Segment, cio_ids: Iterable[str], now: datetime, matchtime: datetime | None = None
) -> int:
    """Add people; returns how many entered (members already are left as they were)."""
    entries = [(segment.id, cio_id, matchtime or now) for cio_id in dict.fromkeys(cio_ids)]
    entered, _ = change_memberships(conn, workspace_id=workspace_id, segments={segment.id: segment}, entries=entries, now=now)
    return len(entered)


def remove_from_segment(
    conn: Connection, *, workspace_id: int, segment: Segment, cio_ids: Iterable[str], now: datetime
) -> int:
    """Remove people; returns how many left."""
    exits = [(segment.id, cio_id) for cio_id in dict.fromkeys(cio_ids)]
    _, exited = change_memberships(conn, workspace_id=workspace_id, segments={segment.id: segment}, exits=exits, now=now)
    return len(exited)


def clear_segment(conn: Connection, *, workspace_id: int, segment: Segment, now: datetime) -> int:
    """Remove everyone from a segment ("Clear Segment" for a manual one); returns how many left."""
    cio_ids = storage.delete_members(conn, workspace_id=workspace_id, segment_id=segment.id)
    _record(conn, workspace_id, {segment.id: segment}, exited=[(segment.id, c, now) for c in cio_ids], now=now)
    return len(cio_ids)


def change_memberships(
    conn: Connection,
    *,
    workspace_id: int,
    segments: Mapping[int, Segment],
    entries: Sequence[tuple[int, str, datetime]] = (),
    exits: Sequence[tuple[int, str]] = (),
    now: datetime,
) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """Add (segment_id, cio_id, matchtime) entries and remove (segment_id, cio_id) exits, in a few
    statements, recording those that changed anything; returns the pairs that entered and exited."""
    entered = storage.insert_memberships(conn, workspace_id=workspace_id, rows=entries, now=now) if entries else set()
    exited = storage.delete_memberships(conn, workspace_id=workspace_id, pairs=exits) if exits else set()
    _record(
        conn,
        workspace_id,
        segments,
        entered=[(s, c, m) for s, c, m in entries if (s, c) in entered],
        exited=[(s, c, now) for s, c in exits if (s, c) in exited],
        now=now,
    )
    return entered, exited


class MembershipDepartures:
    """people.Departures for segments: a person deleted, suppressed or merged away exits every
    segment they were in, recorded (feed and activity) as any other exit, at the change's time.
    A merge also enters the survivor into those it was not in, with the secondary's matchtime
    (the data that made the secondary match now belongs to the survivor); live segments then
    re-evaluate the survivor, which may exit it again."""

    def person_removed(self, conn: Connection, *, workspace_id: int, cio_id: str, now: datetime) -> None:
        held = storage.person_memberships(conn, workspace_id=workspace_id, cio_id=cio_id)
        exits = [(segment.id, cio_id) for segment, _ in held]
        change_memberships(conn, workspace_id=workspace_id, segments=_by_id(held), exits=exits, now=now)

    def person_merged(
        self, conn: Connection, *, workspace_id: int, from_cio_id: str, to_cio_id: str, now: datetime
    ) -> None:
        held = storage.person_memberships(conn, workspace_id=workspace_id, cio_id=from_cio_id)
        entries = [(segment.id, to_cio_id, matchtime) for segment, matchtime in held]
        exits = [(segment.id, from_cio_id) for segment, _ in held]
        change_memberships(
            conn, workspace_id=workspace_id, segments=_by_id(held), entries=entries, exits=exits, now=now
        )


def _by_id(held: Sequence[tuple[Segment, datetime]]) -> dict[int, Segment]:
    return {segment.id: segment for segment, _ in held}


def _record(
    conn: Connection,
    workspace_id: int,
    segments: Mapping[int, Segment],
    *,
    entered: Sequence[tuple[int, str, datetime]] = (),
    exited: Sequence[tuple[int, str, datetime]] = (),
    now: datetime,
) -> None:
    """The feed rows and the activity lines of changes made."""
    changes = [(s, c, ChangeKind.ENTERED, m) for s, c, m in entered] + [(s, c, ChangeKind.EXITED, m) for s, c, m in exited]
    storage.append_changes(conn, workspace_id=workspace_id, changes=changes, at=now)
    lines = [(cio_id, _ACTIVITY[kind], segments[segment_id].name, segment_id) for segment_id, cio_id, kind, _ in changes]
    storage.insert_membership_activity(conn, workspace_id=workspace_id, lines=lines, at=now)


def _referenced_segments(document: Any) -> set[int]:
    """Every segment id a condition document names (in any `segment_id` key)."""
    found: set[int] = set()
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            value = node.get("segment_id")
            if isinstance(value, int):
                found.add(value)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found
