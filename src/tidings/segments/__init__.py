"""Segments: one condition language with two evaluators that agree.

`parse_condition` checks a JSON condition document; `evaluate` and `next_change` answer for one
person in Python; `compile_condition` turns the same condition into SQL over all people.
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
from tidings.segments.errors import InvalidCondition
from tidings.segments.evaluate import evaluate, next_change
from tidings.segments.queries import count_matching, load_person_facts, matching_cio_ids
from tidings.segments.reads import condition_reads
from tidings.segments.types import EventFact, PersonFacts, Reads
from tidings.segments.validation import parse_condition, validate_segment_references

__all__ = [
    "And",
    "AttributeCondition",
    "Condition",
    "Count",
    "CountOp",
    "DeviceCondition",
    "Direction",
    "EventCondition",
    "EventFact",
    "InvalidCondition",
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
    "SegmentCondition",
    "TimeUnit",
    "Window",
    "compile_condition",
    "condition_reads",
    "count_matching",
    "evaluate",
    "load_person_facts",
    "matching_cio_ids",
    "next_change",
    "parse_condition",
    "validate_segment_references",
]
