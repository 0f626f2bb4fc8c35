"""Who is in a segment, and the record of people entering and leaving.

Every entry and exit is written to the person's activity (`entered_segment`, `exited_segment`) in
the same transaction as the change. Manual segments take existing people only: nobody is created
by being added to one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.people import record_activity
from tidings.segments import storage
from tidings.segments.definitions import Segment, SegmentKind, SegmentState

__all__ = [
    "add_to_segment",
    "clear_segment",
    "create_manual_segment",
    "delete_segment",
    "manual_segment",
    "remove_from_segment",
]


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


def delete_segment(conn: Connection, *, workspace_id: int, segment_id: int) -> None:
    """Delete a segment (never its people); refused while another segment's conditions name it."""
    if storage.find_segment(conn, workspace_id=workspace_id, segment_id=segment_id) is None:
        raise NotFound("segment not found")
    users = [
        other.id
        for other in storage.list_segments(conn, workspace_id=workspace_id)
        if other.id != segment_id and segment_id in _referenced_segments(other.conditions)
    ]
    if users:
        raise Conflict(f"segment {segment_id} is used by segment {', '.join(map(str, users))}")
    storage.delete_segment(conn, workspace_id=workspace_id, segment_id=segment_id)


def add_to_segment(
    conn: Connection, *, workspace_id: int, segment: Segment, cio_ids: Iterable[str], now: datetime, matchtime: datetime | None = None
) -> int:
    """Add people; returns how many entered (members already are left as they were)."""
    entered = 0
    for cio_id in cio_ids:
        if storage.insert_member(
            conn, workspace_id=workspace_id, segment_id=segment.id, cio_id=cio_id, entered_at=now, matchtime=matchtime or now
        ):
            _record(conn, workspace_id, segment, cio_id, "entered_segment", now=now)
            entered += 1
    return entered


def remove_from_segment(
    conn: Connection, *, workspace_id: int, segment: Segment, cio_ids: Iterable[str], now: datetime
) -> int:
    """Remove people; returns how many left."""
    left = 0
    for cio_id in cio_ids:
        if storage.delete_member(conn, workspace_id=workspace_id, segment_id=segment.id, cio_id=cio_id):
            _record(conn, workspace_id, segment, cio_id, "exited_segment", now=now)
            left += 1
    return left


def clear_segment(conn: Connection, *, workspace_id: int, segment: Segment, now: datetime) -> int:
    """Remove everyone from a manual segment ("Clear Segment"); returns how many left."""
    cio_ids = storage.delete_members(conn, workspace_id=workspace_id, segment_id=segment.id)
    for cio_id in cio_ids:
        _record(conn, workspace_id, segment, cio_id, "exited_segment", now=now)
    return len(cio_ids)


def _record(conn: Connection, workspace_id: int, segment: Segment, cio_id: str, type: str, *, now: datetime) -> None:
    record_activity(
        conn, workspace_id=workspace_id, cio_id=cio_id, type=type, name=segment.name, data={"segment_id": segment.id}, now=now
    )


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
