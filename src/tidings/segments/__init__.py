"""Segments: manual and data-driven groups of people, in one condition language with two
evaluators that agree, and their membership.

`parse_condition` checks a JSON condition document; `evaluate` and `next_change` answer for one
person in Python; `compile_condition` turns the same condition into SQL over all people. Manual
segments take people added by hand or by API. Every entry and exit is appended to a change feed
(`read_membership_changes`) for campaigns.
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
from tidings.segments.build import build_segment
from tidings.segments.cohort import Cohort, hold_cohort, refresh_cohort
from tidings.segments.live import (
    EVERYTHING,
    LiveSegment,
    create_data_segment,
    live_segments,
    recheck_messages,
    refresh_people,
    refresh_person,
    run_due_rechecks,
    update_data_segment,
)
from tidings.segments.matchtime import matchtime
from tidings.segments.membership import (
    MembershipDepartures,
    add_to_segment,
    clear_segment,
    create_manual_segment,
    delete_segment,
    manual_segment,
    remove_from_segment,
)
from tidings.segments.queries import (
    anonymous_event_kinds,
    count_matching,
    delivery_cio_id,
    load_people_facts,
    load_person_facts,
    matching_cio_ids,
    related_cio_ids,
)
from tidings.segments.reads import condition_reads
from tidings.segments.storage import (
    count_members,
    find_segment,
    forget_membership_changes_before,
    list_member_identifiers,
    list_person_segments,
    list_segments,
    memberships_selectable,
    read_membership_changes,
)
from tidings.segments.types import (
    ChangeCursor,
    ChangeKind,
    DeliveryFact,
    EventFact,
    MembershipChange,
    PersonFacts,
    Reads,
)
from tidings.segments.worker import MEMBERSHIP_CHANGES_RETENTION, SegmentWorker
from tidings.segments.validation import parse_condition, validate_segment_references

__all__ = [
    "MEMBERSHIP_CHANGES_RETENTION",
    "And",
    "AttributeCondition",
    "ChangeCursor",
    "ChangeKind",
    "Cohort",
    "Condition",
    "Count",
    "CountOp",
    "DeliveryFact",
    "DeviceCondition",
    "Direction",
    "EVERYTHING",
    "EventCondition",
    "EventFact",
    "InvalidCondition",
    "LiveSegment",
    "MembershipChange",
    "MembershipDepartures",
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
    "anonymous_event_kinds",
    "build_segment",
    "clear_segment",
    "compile_condition",
    "condition_reads",
    "count_matching",
    "count_members",
    "create_data_segment",
    "create_manual_segment",
    "delete_segment",
    "delivery_cio_id",
    "evaluate",
    "find_segment",
    "forget_membership_changes_before",
    "hold_cohort",
    "list_member_identifiers",
    "list_person_segments",
    "list_segments",
    "live_segments",
    "load_people_facts",
    "load_person_facts",
    "manual_segment",
    "matching_cio_ids",
    "matchtime",
    "memberships_selectable",
    "next_change",
    "parse_condition",
    "read_membership_changes",
    "recheck_messages",
    "refresh_cohort",
    "refresh_people",
    "refresh_person",
    "related_cio_ids",
    "remove_from_segment",
    "run_due_rechecks",
    "update_data_segment",
    "validate_segment_references",
]
