"""Live membership of data-driven segments: people enter and leave as their data changes, as time
passes, and when a segment is built.

Three things move people in and out:
- a processed change (`refresh_person`), which re-evaluates only the segments whose conditions
  read what changed, in the same transaction as the change;
- time alone, for conditions such as "in the past 7 days": each evaluation schedules a re-check
  at the next instant the answer can flip (`next_change`), and `run_due_rechecks` runs them, a
  batch of people at a time; data that changes outside the processor (a delivery the sender
  sent) asks for a re-check due now (`recheck_messages`);
- a build (`build.py`), which evaluates a new or edited segment over everyone in SQL.
Segments that name other segments are evaluated after them, so their view of membership is
current. An entry carries the matchtime of `matchtime.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.engine import Connection

from tidings.errors import InvalidInput, NotFound
from tidings.segments import rechecks, storage
from tidings.segments.conditions import Condition
from tidings.segments.definitions import Segment, SegmentKind, SegmentState
from tidings.segments.evaluate import evaluate, next_change
from tidings.segments.matchtime import matchtime
from tidings.segments.membership import change_memberships
from tidings.segments.queries import load_people_state
from tidings.segments.reads import condition_reads, event_horizons
from tidings.segments.types import PersonFacts, Reads
from tidings.segments.validation import parse_condition, validate_segment_references

__all__ = [
    "EVERYTHING",
    "LiveSegment",
    "create_data_segment",
    "live_segments",
    "recheck_messages",
    "affected_segments",
    "refresh_people",
    "refresh_person",
    "run_due_rechecks",
    "update_data_segment",
]


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
    refresh_people(conn, workspace_id=workspace_id, touched={cio_id: touched}, segments=segments, now=now)


def refresh_people(
    conn: Connection, *, workspace_id: int, touched: Mapping[str, Reads], segments: Sequence[LiveSegment], now: datetime
) -> None:
    """`refresh_person` for many people at once (`touched`: what changed, by cio_id), in a
    statement per kind of data read and of change written, however many people; people who no
    longer exist are skipped (their deletion removed their memberships)."""
    # People touched alike (the same event name, the same traits) share the answer.
    answers: dict[tuple[bool, Reads], set[int]] = {}
    due = {}
    for cio_id, reads in touched.items():
        key = (reads is EVERYTHING, reads)
        if key not in answers:
            answers[key] = {live.segment.id for live in segments if live.is_touched_by(reads)}
        if answers[key]:
            due[cio_id] = answers[key]
    if not due:
        return
    evaluated = affected_segments(segments, set().union(*due.values()))
    people_facts, current = _load(conn, workspace_id, due, evaluated, now=now)
    pending = _Pending()
    for cio_id, facts in people_facts.items():
        pending.evaluate(evaluated, facts, due=due[cio_id], current=current, now=now)
    pending.write(conn, workspace_id, segments, now=now)


def affected_segments(segments: Sequence[LiveSegment], affected: set[int]) -> list[LiveSegment]:
    """The `affected` segments and those naming one of them, in evaluation order."""
    return [live for live in segments if live.segment.id in affected or live.reads.segment_ids & affected]


def run_due_rechecks(conn: Connection, *, now: datetime, limit: int = 500) -> int:
    """Re-evaluate the people whose time-dependent conditions may have flipped by `now` (or whose
    re-check was asked for), a batch of people at a time; returns how many re-checks ran."""
    due = rechecks.take_due_rechecks(conn, now=now, limit=limit)
    by_workspace: dict[int, dict[str, set[int]]] = {}
    for workspace_id, segment_id, cio_id in due:
        by_workspace.setdefault(workspace_id, {}).setdefault(cio_id, set()).add(segment_id)
    for workspace_id, wanted in by_workspace.items():
        segments = live_segments(conn, workspace_id=workspace_id)
        due_ids = set().union(*wanted.values())
        evaluated = affected_segments(segments, due_ids)
        if not evaluated:
            continue  # the segments were deleted or are being rebuilt
        people_facts, current = _load(conn, workspace_id, wanted, evaluated, now=now)
        pending = _Pending()
        for cio_id, facts in people_facts.items():
            pending.evaluate(evaluated, facts, due=wanted[cio_id], current=current, now=now)
        pending.write(conn, workspace_id, segments, now=now)
    return len(due)


def recheck_messages(conn: Connection, *, workspace_id: int, cio_ids: Collection[str], now: datetime) -> None:
    """Ask for a re-check, due now, of the live segments that read message activity, for people
    whose deliveries changed outside the processor (the sender's outcomes); the segment worker
    runs it within a poll."""
    if not cio_ids:
        return
    reading = [live.segment.id for live in live_segments(conn, workspace_id=workspace_id) if live.reads.has_messages]
    if reading:
        changes = {(segment_id, cio_id): now for segment_id in reading for cio_id in cio_ids}
        rechecks.write_rechecks(conn, workspace_id=workspace_id, changes=changes)


@dataclass(slots=True)
class _Pending:
    """Entries, exits and re-checks decided for some people, written together at the end."""

    entries: list[tuple[int, str, datetime]] = field(default_factory=list)
    exits: list[tuple[int, str]] = field(default_factory=list)
    rechecks: dict[tuple[int, str], datetime | None] = field(default_factory=dict)

    def evaluate(
        self,
        segments: Sequence[LiveSegment],
        facts: PersonFacts,
        *,
        due: set[int],
        current: Mapping[tuple[int, str], datetime],
        now: datetime,
    ) -> None:
        """Evaluate the `due` segments for one person, then those that name a segment they moved
        in or out of (`segments` lists those first); re-checks that moved are noted."""
        changed: set[int] = set()
        cio_id = facts.cio_id
        for live in segments:
            segment_id = live.segment.id
            if segment_id not in due and not (live.reads.segment_ids & changed):
                continue
            matches = evaluate(live.condition, facts, now=now)
            if live.reads.is_time_dependent:
                when = next_change(live.condition, facts, now=now)
                if current.get((segment_id, cio_id)) != when:
                    self.rechecks[(segment_id, cio_id)] = when
            if matches == (segment_id in facts.segment_ids):
                continue
            changed.add(segment_id)
            if matches:
                self.entries.append((segment_id, cio_id, matchtime(live.condition, facts, now=now)))
                facts = replace(facts, segment_ids=facts.segment_ids | {segment_id})
            else:
                self.exits.append((segment_id, cio_id))
                facts = replace(facts, segment_ids=facts.segment_ids - {segment_id})

    def write(self, conn: Connection, workspace_id: int, segments: Sequence[LiveSegment], *, now: datetime) -> None:
        if self.entries or self.exits:
            by_id = {live.segment.id: live.segment for live in segments}
            change_memberships(conn, workspace_id=workspace_id, segments=by_id, entries=self.entries, exits=self.exits, now=now)
        if self.rechecks:
            rechecks.write_rechecks(conn, workspace_id=workspace_id, changes=self.rechecks)


def _load(
    conn: Connection, workspace_id: int, due: Mapping[str, set[int]], evaluated: Sequence[LiveSegment], *, now: datetime
) -> tuple[dict[str, PersonFacts], dict[tuple[int, str], datetime]]:
    """What the `evaluated` segments read about the people `due` names (with the segments due for
    each), as of `now`: events only as far back as they can matter, and membership and re-check
    only of the segments each person's evaluation can consult."""
    consulted: dict[frozenset[int], set[int]] = {}
    pairs = []
    for cio_id, segment_ids in due.items():
        key = frozenset(segment_ids)
        if key not in consulted:
            consulted[key] = _consulted(key, evaluated)
        pairs += [(segment_id, cio_id) for segment_id in consulted[key]]
    return load_people_state(
        conn,
        workspace_id=workspace_id,
        cio_ids=sorted(due),
        needs=_needs(evaluated),
        horizons=event_horizons(live.condition for live in evaluated),
        now=now,
        pairs=pairs,
    )


def _consulted(due: frozenset[int], evaluated: Sequence[LiveSegment]) -> set[int]:
    """The segments whose membership an evaluation of `due` can read: those it may evaluate (the
    due ones, and in `_Pending.evaluate`'s order, those naming one it may evaluate) and those
    their conditions name."""
    reached = set(due)
    for live in evaluated:
        if live.reads.segment_ids & reached:
            reached.add(live.segment.id)
    named = [live.reads.segment_ids for live in evaluated if live.segment.id in reached]
    return reached.union(*named)


def _needs(segments: Sequence[LiveSegment]) -> Reads:
    needs = Reads()
    for live in segments:
        needs = needs | live.reads
    return needs


def _conditions(conn: Connection, workspace_id: int) -> dict[int, Condition | None]:
    return {
        segment.id: parse_condition(segment.conditions) if segment.conditions is not None else None
        for segment in storage.list_segments(conn, workspace_id=workspace_id)
    }
