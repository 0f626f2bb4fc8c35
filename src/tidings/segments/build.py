"""Building a data-driven segment over everyone, when it is created or its conditions change.

A build evaluates the condition in SQL over all people at once, moves people in and out with a few
set-based statements (`rebuild.py`), and schedules every re-check the condition needs in one more
(`schedule.py`), so its cost grows with the data but not with a statement per person. Everyone who
enters gets the build's time as matchtime.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Select

from tidings.segments import rebuild, rechecks, storage
from tidings.segments.compile import compile_condition
from tidings.segments.conditions import Condition
from tidings.segments.definitions import Segment, SegmentState
from tidings.segments.evaluate import next_change
from tidings.segments.membership import ENTERED_ACTIVITY, EXITED_ACTIVITY
from tidings.segments.queries import load_people_facts, workspace_cio_ids
from tidings.segments.reads import condition_reads
from tidings.segments.schedule import InstantsUnknown, due_rechecks
from tidings.segments.validation import parse_condition

__all__ = ["build_segment", "schedule_rechecks"]

_PEOPLE_PER_PASS = 1000


def build_segment(conn: Connection, *, workspace_id: int, segment: Segment, now: datetime) -> Segment:
    """Evaluate a building segment over everyone, move people in and out, and make it live.

    For a condition that depends on time, each person's next re-check is scheduled too.
    """
    assert segment.conditions is not None, "only data-driven segments are built"
    condition = parse_condition(segment.conditions)
    matching = compile_condition(
        condition,
        workspace_id=workspace_id,
        now=now,
        dialect=conn.dialect.name,
        memberships=storage.memberships_selectable(workspace_id),
    )
    rebuild.collect_matches(conn, matching=matching)
    rebuild.move_members(
        conn, workspace_id=workspace_id, segment=segment, now=now, entered_activity=ENTERED_ACTIVITY, exited_activity=EXITED_ACTIVITY
    )
    schedule_rechecks(conn, workspace_id=workspace_id, segment_id=segment.id, condition=condition, now=now)
    ready = replace(segment, state=SegmentState.READY, progress=100, updated_at=now)
    storage.update_segment(conn, workspace_id=workspace_id, segment=ready)
    return ready


def schedule_rechecks(
    conn: Connection,
    *,
    workspace_id: int,
    segment_id: int,
    condition: Condition,
    now: datetime,
    among: Select[Any] | None = None,
) -> None:
    """Replace a segment's re-checks (of the people `among`, a query of cio_ids, if given) with
    their next_change at `now`: in one statement, or, for a condition SQL cannot place the
    instants of, in batches of people in Python."""
    rechecks.clear_segment_rechecks(conn, workspace_id=workspace_id, segment_id=segment_id, among=among)
    reads = condition_reads(condition)
    if not reads.is_time_dependent:
        return
    try:
        due = due_rechecks(
            condition, workspace_id=workspace_id, segment_id=segment_id, now=now, dialect=conn.dialect.name, among=among
        )
    except InstantsUnknown:
        after = None
        page = {"workspace_id": workspace_id, "limit": _PEOPLE_PER_PASS, "among": among}
        while cio_ids := workspace_cio_ids(conn, after_cio_id=after, **page):
            people_facts = load_people_facts(conn, workspace_id=workspace_id, cio_ids=cio_ids, needs=reads)
            changes = {(segment_id, c): next_change(condition, facts, now=now) for c, facts in people_facts.items()}
            rechecks.write_rechecks(conn, workspace_id=workspace_id, changes={k: v for k, v in changes.items() if v is not None})
            after = cio_ids[-1]
        return
    if due is not None:
        rechecks.insert_rechecks(conn, due)
