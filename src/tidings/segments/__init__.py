"""Segments: manual and data-driven groups of people, in one condition language with two
evaluators that agree, and their membership.

`parse_condition` checks a JSON condition document; `evaluate` and `next_change` answer for one
person in Python; `compile_condition` turns the same condition into SQL over all people. Manual
segments take people added by hand or by API.
"""

from tidings.segments.compile import compile_condition
from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    Count,
    CountOp,
    DeviceCondition,
    Direction,
    EventCondition,
    MessageChannel,
    MessageCondition,
    MessageLink,
    MessageMetric,
    MessageRef,
    Not,
    Operator,
    Or,
    PageCondition,
    RelationshipCondition,
    ScreenCondition,
    SegmentCondition,
    TimeUnit,
    Window,
)
from tidings.segments.definitions import Segment, SegmentKind, SegmentState
from tidings.segments.errors import InvalidCondition
from tidings.segments.evaluate import evaluate, next_change
from tidings.segments.live import (
    EVERYTHING,
    LiveSegment,
    build_segment,
    create_data_segment,
    live_segments,
    refresh_person,
    run_due_rechecks,
    update_data_segment,
)
from tidings.segments.membership import (
    add_to_segment,
    clear_segment,
    create_manual_segment,
    delete_segment,
    manual_segment,
    remove_from_segment,
)
from tidings.segments.queries import count_matching, load_person_facts, matching_cio_ids
from tidings.segments.reads import condition_reads
from tidings.segments.storage import (
    count_members,
    memberships_selectable,
    find_segment,
    list_member_identifiers,
    list_person_segments,
    list_segments,
)
from tidings.segments.types import EventFact, PersonFacts, Reads
from tidings.segments.worker import SegmentWorker
from tidings.segments.validation import parse_condition, validate_segment_references

__all__ = [
    "And",
    "AttributeCondition",
    "Condition",
    "Count",
    "CountOp",
    "DeviceCondition",
    "Direction",
    "EVERYTHING",
    "EventCondition",
    "EventFact",
    "InvalidCondition",
    "LiveSegment",
    "MessageChannel",
    "MessageCondition",
    "MessageLink",
    "MessageMetric",
    "MessageRef",
    "Not",
    "Operator",
    "Or",
    "PageCondition",
    "PersonFacts",
    "Reads",
    "RelationshipCondition",
    "ScreenCondition",
    "Segment",
    "SegmentCondition",
    "SegmentKind",
    "SegmentState",
    "SegmentWorker",
    "TimeUnit",
    "Window",
    "add_to_segment",
    "build_segment",
    "clear_segment",
    "compile_condition",
    "condition_reads",
    "count_matching",
    "count_members",
    "create_data_segment",
    "create_manual_segment",
    "delete_segment",
    "evaluate",
    "find_segment",
    "list_member_identifiers",
    "list_person_segments",
    "list_segments",
    "live_segments",
    "load_person_facts",
    "manual_segment",
    "matching_cio_ids",
    "memberships_selectable",
    "next_change",
    "parse_condition",
    "refresh_person",
    "remove_from_segment",
    "run_due_rechecks",
    "update_data_segment",
    "validate_segment_references",
]
