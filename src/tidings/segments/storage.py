"""Every statement about segments as records, their members and the membership change feed. Rows
in, values out. (Re-checks and the set-based statements of a build are in `rechecks.py` and
`rebuild.py`.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, and_, bindparam, cast, delete, func, insert, literal, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.expression import ColumnElement

from tidings.db.dialect import insert_many_ignoring_conflicts
from tidings.db.driver import DriverStatement
from tidings.db.schema import activities, people, segment_changes, segment_members, segments
from tidings.segments.definitions import Segment, SegmentKind, SegmentState
from tidings.segments.types import ChangeCursor, ChangeKind, MembershipChange

__all__ = [
    "append_changes",
    "building_segments",
    "count_members",
    "data_driven_segments",
    "delete_members",
    "delete_memberships",
    "delete_segment",
    "find_segment",
    "forget_membership_changes_before",
    "insert_membership_activity",
    "insert_memberships",
    "insert_segment",
    "list_member_identifiers",
    "list_person_segments",
    "list_segments",
    "memberships_selectable",
    "person_memberships",
    "read_membership_changes",
    "transaction_id",
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
    """Delete a segment; its members must have been removed (and their exits recorded) first."""
    conn.execute(delete(segments).where(segments.c.workspace_id == workspace_id, segments.c.id == segment_id))


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


# Members


def insert_memberships(
    conn: Connection, *, workspace_id: int, rows: Sequence[tuple[int, str, datetime]], now: datetime
) -> set[tuple[int, str]]:
    """Add (segment_id, cio_id, matchtime) memberships; returns the (segment_id, cio_id) of those
    that were not there before."""
    values = [
        {"workspace_id": workspace_id, "segment_id": s, "cio_id": c, "entered_at": now, "matchtime": m} for s, c, m in rows
    ]
    inserted = insert_many_ignoring_conflicts(conn, segment_members, values, returning=("segment_id", "cio_id"))
    return {(segment_id, cio_id) for segment_id, cio_id in inserted}


_DELETE_MEMBERSHIP = DriverStatement(
    lambda dialect: delete(segment_members)
    .where(
        segment_members.c.workspace_id == bindparam("workspace_id"),
        segment_members.c.segment_id == bindparam("segment_id"),
        segment_members.c.cio_id == bindparam("cio_id"),
    )
    .returning(segment_members.c.segment_id, segment_members.c.cio_id)
)


def delete_memberships(conn: Connection, *, workspace_id: int, pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """Remove (segment_id, cio_id) memberships; returns those that were there.

    A delete per pair, each a lookup of the primary key, in one driver call (one round trip on
    PostgreSQL) whatever the segments."""
    rows = [{"workspace_id": workspace_id, "segment_id": s, "cio_id": c} for s, c in dict.fromkeys(pairs)]
    return {(segment_id, cio_id) for segment_id, cio_id in _DELETE_MEMBERSHIP.returning_many(conn, rows)}


def insert_membership_activity(
    conn: Connection, *, workspace_id: int, lines: Sequence[tuple[str, str, str, int]], at: datetime
) -> None:
    """Add (cio_id, type, segment name, segment_id) lines to people's activity in one multi-row
    statement, straight into the table, where people.record_activity would take one at a time."""
    if lines:
        rows = [
            {"workspace_id": workspace_id, "cio_id": c, "type": t, "name": n, "data": {"segment_id": s}, "timestamp": at}
            for c, t, n, s in lines
        ]
        conn.execute(insert(activities), rows)


def delete_members(conn: Connection, *, workspace_id: int, segment_id: int) -> list[str]:
    """Remove everyone from a segment; returns who was in it."""
    where = (segment_members.c.workspace_id == workspace_id, segment_members.c.segment_id == segment_id)
    return list(conn.execute(delete(segment_members).where(*where).returning(segment_members.c.cio_id)).scalars())


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


def person_memberships(conn: Connection, *, workspace_id: int, cio_id: str) -> list[tuple[Segment, datetime]]:
    """The segments a person is in, each with the person's matchtime."""
    rows = conn.execute(
        select(segments, segment_members.c.matchtime.label("member_matchtime"))
        .join_from(
            segment_members,
            segments,
            (segments.c.workspace_id == segment_members.c.workspace_id) & (segments.c.id == segment_members.c.segment_id),
        )
        .where(segment_members.c.workspace_id == workspace_id, segment_members.c.cio_id == cio_id)
        .order_by(segments.c.id)
    )
    return [(_segment(row), row.member_matchtime) for row in rows]


def memberships_selectable(workspace_id: int) -> Any:
    """The workspace's (cio_id, segment_id) pairs, as the condition compiler takes them."""
    return (
        select(segment_members.c.cio_id, segment_members.c.segment_id)
        .where(segment_members.c.workspace_id == workspace_id)
        .subquery()
    )


# The membership change feed


def transaction_id(conn: Connection) -> ColumnElement[int]:
    """The writing transaction's id for the feed's order: PostgreSQL's, or 0 on SQLite."""
    if conn.dialect.name == "postgresql":
        return cast(cast(func.pg_current_xact_id(), Text), BigInteger)
    return literal(0, BigInteger)


def append_changes(
    conn: Connection, *, workspace_id: int, changes: Sequence[tuple[int, str, ChangeKind, datetime]], at: datetime
) -> None:
    """Append (segment_id, cio_id, kind, matchtime) changes to the feed, in this transaction."""
    if not changes:
        return
    rows = [
        {"workspace_id": workspace_id, "segment_id": s, "cio_id": c, "change": kind.value, "at": at, "matchtime": m}
        for s, c, kind, m in changes
    ]
    conn.execute(insert(segment_changes).values(transaction_id=transaction_id(conn)), rows)


def read_membership_changes(conn: Connection, *, after: ChangeCursor, limit: int) -> list[MembershipChange]:
    """The next membership changes after `after`, in every workspace, oldest first.

    On PostgreSQL, changes of transactions that may still be running are held back (they may
    commit a position lower than one already read), so no change is ever skipped: read them in a
    transaction that has written nothing yet.
    """
    feed = segment_changes.c
    statement = (
        select(segment_changes)
        .where(
            or_(
                feed.transaction_id > after.transaction_id,
                and_(feed.transaction_id == after.transaction_id, feed.position > after.position),
            )
        )
        .order_by(feed.transaction_id, feed.position)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        oldest_running = cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
        statement = statement.where(feed.transaction_id < oldest_running)
    return [
        MembershipChange(
            cursor=ChangeCursor(row.transaction_id, row.position),
            workspace_id=row.workspace_id,
            segment_id=row.segment_id,
            cio_id=row.cio_id,
            kind=ChangeKind(row.change),
            at=row.at,
            matchtime=row.matchtime,
        )
        for row in conn.execute(statement)
    ]


def forget_membership_changes_before(conn: Connection, *, cutoff: datetime) -> int:
    """Drop changes recorded before `cutoff`; returns how many.

    The newest change stays: on SQLite a position is the rowid, and deleting the newest row would
    let the next append reuse positions a reader has already passed.
    """
    newest = select(func.max(segment_changes.c.position)).scalar_subquery()
    return conn.execute(
        delete(segment_changes).where(segment_changes.c.at < cutoff, segment_changes.c.position < newest)
    ).rowcount
