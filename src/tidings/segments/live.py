"""Live membership of data-driven segments: people enter and leave as their data changes, as time
passes, and when a segment is built.

Three things move people in and out:
- a processed change (`refresh_person`), which re-evaluates only the segments whose conditions
  read what changed, in the same transaction as the change;
- time alone, for conditions such as "in the past 7 days": each evaluation schedules a re-check
  at the next instant the answer can flip (`next_change`), and `run_due_rechecks` runs them;
- a build (`build_segment`), which evaluates a new or edited segment over everyone in SQL.
Segments that name other segments are evaluated after them, so their view of membership is current.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.engine import Connection

from tidings.errors import InvalidInput, NotFound
from tidings.segments import storage
from tidings.segments.conditions import Condition
from tidings.segments.definitions import Segment, SegmentKind, SegmentState
from tidings.segments.evaluate import evaluate, next_change
from tidings.segments.membership import add_to_segment, remove_from_segment
from tidings.segments.queries import load_person_facts, matching_cio_ids
from tidings.segments.reads import condition_reads
from tidings.segments.types import PersonFacts, Reads
from tidings.segments.validation import parse_condition, validate_segment_references

__all__ = [
    "EVERYTHING",
    "LiveSegment",
    "build_segment",
    "create_data_segment",
    "live_segments",
    "refresh_person",
    "run_due_rechecks",
    "update_data_segment",
]

_PEOPLE_PER_PASS = 500


@dataclass(frozen=True, slots=True)
class LiveSegment:
    """A data-driven segment with its parsed condition and what that condition reads."""

    segment: Segment
    condition: Condition
    reads: Reads

    def is_touched_by(self, touched: Reads) -> bool:
        """Whether a change to what `touched` names can change this segment's answer."""
        reads = self.reads
        if touched is EVERYTHING:
            return True
        return (
            bool(reads.attributes & touched.attributes)
            or any(reads.reads_event(kind, name) for kind, name in touched.events)
            or (reads.has_devices and touched.has_devices)
            or bool(reads.object_type_ids & touched.object_type_ids)
            or bool(reads.segment_ids & touched.segment_ids)
            or (reads.has_messages and touched.has_messages)
        )


# A change that may touch anything (a merge, a new person): every segment is re-evaluated.
EVERYTHING = Reads(is_time_dependent=True)


def create_data_segment(
    conn: Connection, *, workspace_id: int, name: object, description: object, document: object, now: datetime
) -> Segment:
    """A data-driven segment, left building: the builder evaluates it over everyone, then it is live.

    Raises InvalidCondition naming the bad node, or for a segment reference Customer.io refuses.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name is required", field="name")
    condition = parse_condition(document)
    validate_segment_references(condition, segment_id=None, others=_conditions(conn, workspace_id))
    segment = Segment(
        id=0,
        name=name.strip()[:200],
        description=str(description or ""),
        kind=SegmentKind.DATA_DRIVEN,
        conditions=document if isinstance(document, dict) else None,
        state=SegmentState.BUILDING,
        progress=0,
        created_at=now,
        updated_at=now,
    )
    segment_id = storage.insert_segment(conn, workspace_id=workspace_id, segment=segment)
    return replace(segment, id=segment_id)


def update_data_segment(
    conn: Connection, *, workspace_id: int, segment_id: int, changes: dict[str, object], now: datetime
) -> Segment:
    """Rename or re-describe a segment; new conditions send a data-driven one back to building."""
    segment = storage.find_segment(conn, workspace_id=workspace_id, segment_id=segment_id)
    if segment is None:
        raise NotFound("segment not found")
    updated = replace(segment, updated_at=now)
    if "name" in changes:
        if not isinstance(changes["name"], str) or not changes["name"].strip():
            raise InvalidInput("name is required", field="name")
        updated = replace(updated, name=changes["name"].strip()[:200])
    if "description" in changes:
        updated = replace(updated, description=str(changes["description"] or ""))
    if "conditions" in changes:
        if segment.kind is not SegmentKind.DATA_DRIVEN:
            raise InvalidInput("a manual segment has no conditions", field="conditions")
        condition = parse_condition(changes["conditions"])
        others = {k: v for k, v in _conditions(conn, workspace_id).items() if k != segment_id}
        validate_segment_references(condition, segment_id=segment_id, others=others)
        updated = replace(updated, conditions=changes["conditions"], state=SegmentState.BUILDING, progress=0)  # type: ignore[arg-type]
    storage.update_segment(conn, workspace_id=workspace_id, segment=updated)
    return updated


def live_segments(conn: Connection, *, workspace_id: int) -> list[LiveSegment]:
    """The workspace's ready data-driven segments, those that name no segment first."""
    found = []
    for segment in storage.data_driven_segments(conn, workspace_id=workspace_id):
        if segment.state is SegmentState.READY and segment.conditions is not None:
            condition = parse_condition(segment.conditions)
            found.append(LiveSegment(segment, condition, condition_reads(condition)))
    return sorted(found, key=lambda live: bool(live.reads.segment_ids))


def refresh_person(
    conn: Connection, *, workspace_id: int, cio_id: str, segments: Sequence[LiveSegment], touched: Reads, now: datetime
) -> None:
    """Re-evaluate the segments `touched` can affect for one person, recording entries and exits."""
    affected = [live for live in segments if live.is_touched_by(touched)]
    # A membership change can affect the segments that name the changed segment.
    changed: set[int] = set()
    if not affected:
        return
    needs = Reads()
    for live in segments:
        needs = needs | live.reads
    members = storage.person_segment_ids(conn, workspace_id=workspace_id, cio_id=cio_id)
    facts = load_person_facts(conn, workspace_id=workspace_id, cio_id=cio_id, needs=needs, segment_ids=members)
    if facts is None:
        return  # deleted: the deletion removed their memberships
    for live in segments:
        if live not in affected and not (live.reads.segment_ids & changed):
            continue
        facts, has_changed = _apply(conn, workspace_id, live, facts, now=now)
        if has_changed:
            changed.add(live.segment.id)


def run_due_rechecks(conn: Connection, *, now: datetime, limit: int = 500) -> int:
    """Re-evaluate the people whose time-dependent conditions may have flipped by `now`."""
    due = storage.take_due_rechecks(conn, now=now, limit=limit)
    by_workspace: dict[int, list[tuple[int, str]]] = {}
    for workspace_id, segment_id, cio_id in due:
        by_workspace.setdefault(workspace_id, []).append((segment_id, cio_id))
    for workspace_id, pairs in by_workspace.items():
        segments = {live.segment.id: live for live in live_segments(conn, workspace_id=workspace_id)}
        for segment_id, cio_id in pairs:
            live = segments.get(segment_id)
            if live is not None:
                _recheck(conn, workspace_id, live, list(segments.values()), cio_id=cio_id, now=now)
    return len(due)


def _recheck(
    conn: Connection, workspace_id: int, live: LiveSegment, segments: list[LiveSegment], *, cio_id: str, now: datetime
) -> None:
    """Re-evaluate one segment for one person because time passed (and the segments that name it)."""
    needs = Reads()
    for other in segments:
        needs = needs | other.reads
    members = storage.person_segment_ids(conn, workspace_id=workspace_id, cio_id=cio_id)
    facts = load_person_facts(conn, workspace_id=workspace_id, cio_id=cio_id, needs=needs, segment_ids=members)
    if facts is None:
        return
    facts, has_changed = _apply(conn, workspace_id, live, facts, now=now)
    if has_changed:
        for dependent in segments:
            if live.segment.id in dependent.reads.segment_ids:
                facts, _ = _apply(conn, workspace_id, dependent, facts, now=now)


def build_segment(conn: Connection, *, workspace_id: int, segment: Segment, now: datetime) -> Segment:
    """Evaluate a building segment over everyone (in SQL), move people in and out, and make it live.

    For a condition that depends on time, each person's next re-check is scheduled too.
    """
    assert segment.conditions is not None, "only data-driven segments are built"
    condition = parse_condition(segment.conditions)
    matching = set(
        matching_cio_ids(
            conn,
            workspace_id=workspace_id,
            condition=condition,
            now=now,
            memberships=storage.memberships_selectable(workspace_id),
        )
    )
    current = storage.current_member_ids(conn, workspace_id=workspace_id, segment_id=segment.id)
    add_to_segment(conn, workspace_id=workspace_id, segment=segment, cio_ids=sorted(matching - current), now=now)
    remove_from_segment(conn, workspace_id=workspace_id, segment=segment, cio_ids=sorted(current - matching), now=now)
    reads = condition_reads(condition)
    if reads.is_time_dependent:
        _schedule_everyone(conn, workspace_id, LiveSegment(segment, condition, reads), now=now)
    ready = replace(segment, state=SegmentState.READY, progress=100, updated_at=now)
    storage.update_segment(conn, workspace_id=workspace_id, segment=ready)
    return ready


def _apply(conn: Connection, workspace_id: int, live: LiveSegment, facts: PersonFacts, *, now: datetime) -> tuple[PersonFacts, bool]:
    segment_id = live.segment.id
    is_member = segment_id in facts.segment_ids
    matches = evaluate(live.condition, facts, now=now)
    if live.reads.is_time_dependent:
        storage.set_recheck(
            conn, workspace_id=workspace_id, segment_id=segment_id, cio_id=facts.cio_id, due_at=next_change(live.condition, facts, now=now)
        )
    if matches == is_member:
        return facts, False
    if matches:
        add_to_segment(conn, workspace_id=workspace_id, segment=live.segment, cio_ids=[facts.cio_id], now=now)
        return replace(facts, segment_ids=facts.segment_ids | {segment_id}), True
    remove_from_segment(conn, workspace_id=workspace_id, segment=live.segment, cio_ids=[facts.cio_id], now=now)
    return replace(facts, segment_ids=facts.segment_ids - {segment_id}), True


def _schedule_everyone(conn: Connection, workspace_id: int, live: LiveSegment, *, now: datetime) -> None:
    after = None
    while cio_ids := storage.list_workspace_cio_ids(conn, workspace_id=workspace_id, after_cio_id=after, limit=_PEOPLE_PER_PASS):
        for cio_id in cio_ids:
            members = storage.person_segment_ids(conn, workspace_id=workspace_id, cio_id=cio_id)
            facts = load_person_facts(conn, workspace_id=workspace_id, cio_id=cio_id, needs=live.reads, segment_ids=members)
            if facts is not None:
                due = next_change(live.condition, facts, now=now)
                storage.set_recheck(conn, workspace_id=workspace_id, segment_id=live.segment.id, cio_id=cio_id, due_at=due)
        after = cio_ids[-1]


def _conditions(conn: Connection, workspace_id: int) -> dict[int, Condition | None]:
    return {
        segment.id: parse_condition(segment.conditions) if segment.conditions is not None else None
        for segment in storage.list_segments(conn, workspace_id=workspace_id)
    }
