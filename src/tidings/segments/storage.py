"""Every statement about segments and their members. Rows in, values out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from tidings.db.dialect import insert_ignoring_conflicts
from tidings.db.schema import people, segment_members, segment_rechecks, segments
from tidings.segments.definitions import Segment, SegmentKind, SegmentState

__all__ = [
    "building_segments",
    "count_members",
    "current_member_ids",
    "data_driven_segments",
    "delete_member",
    "delete_members",
    "delete_segment",
    "find_segment",
    "insert_member",
    "insert_segment",
    "list_member_identifiers",
    "list_person_segments",
    "list_segments",
    "list_workspace_cio_ids",
    "members_of",
    "memberships_selectable",
    "person_segment_ids",
    "set_recheck",
    "take_due_rechecks",
    "update_segment",
]


def _segment(row: Row[Any]) -> Segment:
    return Segment(
        id=row.id,
        name=row.name,
        description=row.description,
        kind=SegmentKind(row.kind),
        conditions=row.conditions,
        state=SegmentState(row.state),
        progress=row.progress,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def insert_segment(conn: Connection, *, workspace_id: int, segment: Segment) -> int:
    return conn.execute(
        insert(segments)
        .values(
            workspace_id=workspace_id,
            name=segment.name,
            description=segment.description,
            kind=segment.kind.value,
            conditions=segment.conditions,
            state=segment.state.value,
            progress=segment.progress,
            created_at=segment.created_at,
            updated_at=segment.updated_at,
        )
        .returning(segments.c.id)
    ).scalar_one()


def update_segment(conn: Connection, *, workspace_id: int, segment: Segment) -> None:
    conn.execute(
        update(segments)
        .where(segments.c.workspace_id == workspace_id, segments.c.id == segment.id)
        .values(
            name=segment.name,
            description=segment.description,
            conditions=segment.conditions,
            state=segment.state.value,
            progress=segment.progress,
            updated_at=segment.updated_at,
        )
    )


def find_segment(conn: Connection, *, workspace_id: int, segment_id: int) -> Segment | None:
    row = conn.execute(
        select(segments).where(segments.c.workspace_id == workspace_id, segments.c.id == segment_id)
    ).first()
    return _segment(row) if row else None


def list_segments(conn: Connection, *, workspace_id: int) -> list[Segment]:
    rows = conn.execute(select(segments).where(segments.c.workspace_id == workspace_id).order_by(segments.c.id))
    return [_segment(row) for row in rows]


def delete_segment(conn: Connection, *, workspace_id: int, segment_id: int) -> None:
    """Delete a segment and its memberships; its people stay."""
    delete_members(conn, workspace_id=workspace_id, segment_id=segment_id)
    conn.execute(delete(segments).where(segments.c.workspace_id == workspace_id, segments.c.id == segment_id))


def insert_member(
    conn: Connection, *, workspace_id: int, segment_id: int, cio_id: str, entered_at: datetime, matchtime: datetime
) -> bool:
    """True if the person was not a member before."""
    return insert_ignoring_conflicts(
        conn,
        segment_members,
        {
            "workspace_id": workspace_id,
            "segment_id": segment_id,
            "cio_id": cio_id,
            "entered_at": entered_at,
            "matchtime": matchtime,
        },
    )


def delete_member(conn: Connection, *, workspace_id: int, segment_id: int, cio_id: str) -> bool:
    """True if the person was a member."""
    result = conn.execute(
        delete(segment_members).where(
            segment_members.c.workspace_id == workspace_id,
            segment_members.c.segment_id == segment_id,
            segment_members.c.cio_id == cio_id,
        )
    )
    return result.rowcount > 0


def delete_members(conn: Connection, *, workspace_id: int, segment_id: int) -> list[str]:
    """Remove everyone from a segment; returns who was in it."""
    where = (segment_members.c.workspace_id == workspace_id, segment_members.c.segment_id == segment_id)
    cio_ids = list(conn.execute(select(segment_members.c.cio_id).where(*where)).scalars())
    conn.execute(delete(segment_members).where(*where))
    return cio_ids


def count_members(conn: Connection, *, workspace_id: int, segment_id: int) -> int:
    return conn.execute(
        select(func.count()).where(
            segment_members.c.workspace_id == workspace_id, segment_members.c.segment_id == segment_id
        )
    ).scalar_one()


def list_member_identifiers(
    conn: Connection, *, workspace_id: int, segment_id: int, after_cio_id: str | None, limit: int
) -> list[tuple[str, str | None, str | None]]:
    """(cio_id, id, email) of a segment's members in cio_id order, continuing after `after_cio_id`."""
    statement = (
        select(people.c.cio_id, people.c.id, people.c.email)
        .join_from(
            segment_members,
            people,
            (people.c.workspace_id == segment_members.c.workspace_id) & (people.c.cio_id == segment_members.c.cio_id),
        )
        .where(segment_members.c.workspace_id == workspace_id, segment_members.c.segment_id == segment_id)
        .order_by(segment_members.c.cio_id)
        .limit(limit)
    )
    if after_cio_id is not None:
        statement = statement.where(segment_members.c.cio_id > after_cio_id)
    return [(row.cio_id, row.id, row.email) for row in conn.execute(statement)]


def list_person_segments(conn: Connection, *, workspace_id: int, cio_id: str) -> list[Segment]:
    rows = conn.execute(
        select(segments)
        .join_from(
            segment_members,
            segments,
            (segments.c.workspace_id == segment_members.c.workspace_id) & (segments.c.id == segment_members.c.segment_id),
        )
        .where(segment_members.c.workspace_id == workspace_id, segment_members.c.cio_id == cio_id)
        .order_by(segments.c.id)
    )
    return [_segment(row) for row in rows]


def members_of(conn: Connection, *, workspace_id: int, segment_ids: Sequence[int], cio_id: str) -> set[int]:
    """Which of `segment_ids` the person is in."""
    if not segment_ids:
        return set()
    return set(
        conn.execute(
            select(segment_members.c.segment_id).where(
                segment_members.c.workspace_id == workspace_id,
                segment_members.c.cio_id == cio_id,
                segment_members.c.segment_id.in_(list(segment_ids)),
            )
        ).scalars()
    )


def set_recheck(conn: Connection, *, workspace_id: int, segment_id: int, cio_id: str, due_at: datetime | None) -> None:
    """Schedule (or, with None, cancel) the time-driven re-check of one person for one segment."""
    where = (
        segment_rechecks.c.workspace_id == workspace_id,
        segment_rechecks.c.segment_id == segment_id,
        segment_rechecks.c.cio_id == cio_id,
    )
    conn.execute(delete(segment_rechecks).where(*where))
    if due_at is not None:
        conn.execute(
            insert(segment_rechecks).values(workspace_id=workspace_id, segment_id=segment_id, cio_id=cio_id, due_at=due_at)
        )


def take_due_rechecks(conn: Connection, *, now: datetime, limit: int) -> list[tuple[int, int, str]]:
    """Remove and return up to `limit` re-checks due by `now`, as (workspace_id, segment_id, cio_id)."""
    statement = select(segment_rechecks).where(segment_rechecks.c.due_at <= now).order_by(segment_rechecks.c.due_at).limit(limit)
    if conn.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = conn.execute(statement).all()
    for row in rows:
        conn.execute(
            delete(segment_rechecks).where(
                segment_rechecks.c.workspace_id == row.workspace_id,
                segment_rechecks.c.segment_id == row.segment_id,
                segment_rechecks.c.cio_id == row.cio_id,
            )
        )
    return [(row.workspace_id, row.segment_id, row.cio_id) for row in rows]


def memberships_selectable(workspace_id: int) -> Any:
    """The workspace's (cio_id, segment_id) pairs, as the condition compiler takes them."""
    return (
        select(segment_members.c.cio_id, segment_members.c.segment_id)
        .where(segment_members.c.workspace_id == workspace_id)
        .subquery()
    )


def list_workspace_cio_ids(conn: Connection, *, workspace_id: int, after_cio_id: str | None, limit: int) -> list[str]:
    statement = select(people.c.cio_id).where(people.c.workspace_id == workspace_id).order_by(people.c.cio_id).limit(limit)
    if after_cio_id is not None:
        statement = statement.where(people.c.cio_id > after_cio_id)
    return list(conn.execute(statement).scalars())


def current_member_ids(conn: Connection, *, workspace_id: int, segment_id: int) -> set[str]:
    return set(
        conn.execute(
            select(segment_members.c.cio_id).where(
                segment_members.c.workspace_id == workspace_id, segment_members.c.segment_id == segment_id
            )
        ).scalars()
    )


def person_segment_ids(conn: Connection, *, workspace_id: int, cio_id: str) -> frozenset[int]:
    return frozenset(
        conn.execute(
            select(segment_members.c.segment_id).where(
                segment_members.c.workspace_id == workspace_id, segment_members.c.cio_id == cio_id
            )
        ).scalars()
    )


def building_segments(conn: Connection) -> list[tuple[int, Segment]]:
    """Data-driven segments waiting for a build, in every workspace, oldest first."""
    rows = conn.execute(select(segments).where(segments.c.state == SegmentState.BUILDING.value).order_by(segments.c.updated_at))
    return [(row.workspace_id, _segment(row)) for row in rows]


def data_driven_segments(conn: Connection, *, workspace_id: int) -> list[Segment]:
    rows = conn.execute(
        select(segments)
        .where(segments.c.workspace_id == workspace_id, segments.c.kind == SegmentKind.DATA_DRIVEN.value)
        .order_by(segments.c.id)
    )
    return [_segment(row) for row in rows]
