"""Re-evaluating everyone related to one object at once, when the object's attributes change or
it is deleted.

A relationship condition reads the related object's attributes, so one change to an object can
move every person related to it. Those people (the cohort) are held before the change, since a
deletion takes the relationships with it. A few hundred are listed and evaluated in Python like
any processed change (`refresh_people`). More go into a temporary table, and each touched segment
is evaluated over them in SQL with the set-based statements of a build, restricted to them: one
statement for the matches, a few to move members and record the changes, one to reschedule their
re-checks, however many people there are. People who enter that way get the change's time as
matchtime, as a build gives its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, MetaData, String, Table, and_, delete, insert, select
from sqlalchemy.engine import Connection

from tidings.db.schema import people, relationships
from tidings.segments import rebuild, storage
from tidings.segments.build import schedule_rechecks
from tidings.segments.compile import compile_condition
from tidings.segments.live import LiveSegment, affected_segments, refresh_people
from tidings.segments.membership import ENTERED_ACTIVITY, EXITED_ACTIVITY
from tidings.segments.queries import related_cio_ids
from tidings.segments.types import Reads

__all__ = ["Cohort", "hold_cohort", "refresh_cohort"]

# Up to this many people, a cohort is evaluated person by person (exact matchtimes, no temporary
# table); past it, the set-based statements cost less.
PEOPLE_IN_PYTHON = 200

# Per connection (SQLite) or per transaction (PostgreSQL, ON COMMIT DROP); never in db/schema.py.
_COHORT = Table("segment_cohort", MetaData(), Column("cio_id", String(32), primary_key=True))
_CREATE = "CREATE TEMPORARY TABLE IF NOT EXISTS segment_cohort (cio_id VARCHAR(32) PRIMARY KEY)"


@dataclass(frozen=True, slots=True)
class Cohort:
    """The people related to one object of type `type_id`, held before it changes: listed in
    `cio_ids`, or (None) too many to list, in the temporary table."""

    type_id: int
    cio_ids: tuple[str, ...] | None


def hold_cohort(conn: Connection, *, workspace_id: int, cio_object_id: str, type_id: int) -> Cohort:
    """Hold the people related to an object now, for `refresh_cohort` after it changes."""
    listed = related_cio_ids(
        conn, workspace_id=workspace_id, type_id=None, object_id=None, cio_object_id=cio_object_id, limit=PEOPLE_IN_PYTHON + 1
    )
    if len(listed) <= PEOPLE_IN_PYTHON:
        return Cohort(type_id, tuple(listed))
    on_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    conn.exec_driver_sql(_CREATE + on_commit)
    conn.execute(delete(_COHORT))
    related = select(relationships.c.cio_id).where(
        relationships.c.workspace_id == workspace_id, relationships.c.cio_object_id == cio_object_id
    )
    conn.execute(insert(_COHORT).from_select(["cio_id"], related))
    return Cohort(type_id, None)


def refresh_cohort(
    conn: Connection, *, workspace_id: int, cohort: Cohort, segments: Sequence[LiveSegment], now: datetime
) -> None:
    """Re-evaluate, for everyone in the cohort, the live segments that read its object type (and
    the segments that name those), recording entries and exits and rescheduling re-checks."""
    touched = Reads(object_type_ids=frozenset({cohort.type_id}))
    if cohort.cio_ids is not None:
        everyone = dict.fromkeys(cohort.cio_ids, touched)
        refresh_people(conn, workspace_id=workspace_id, touched=everyone, segments=segments, now=now)
        return
    affected = {live.segment.id for live in segments if live.is_touched_by(touched)}
    among = select(_COHORT.c.cio_id)
    memberships = storage.memberships_selectable(workspace_id)
    # In evaluation order: a segment that names another reads its members after they moved.
    for live in affected_segments(segments, affected):
        matching = compile_condition(
            live.condition, workspace_id=workspace_id, now=now, dialect=conn.dialect.name, memberships=memberships
        )
        rebuild.collect_matches(conn, matching=and_(matching, people.c.cio_id.in_(among)))
        rebuild.move_members(
            conn,
            workspace_id=workspace_id,
            segment=live.segment,
            now=now,
            entered_activity=ENTERED_ACTIVITY,
            exited_activity=EXITED_ACTIVITY,
            among=among,
        )
        if live.reads.is_time_dependent:
            schedule_rechecks(
                conn, workspace_id=workspace_id, segment_id=live.segment.id, condition=live.condition, now=now, among=among
            )
    conn.execute(delete(_COHORT))
