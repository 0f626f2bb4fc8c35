"""What a condition reads, so real-time membership re-evaluates only the segments a change touches."""

from __future__ import annotations

from functools import reduce

from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    DeviceCondition,
    EventCondition,
    MessageCondition,
    Not,
    Operator,
    Or,
    PageCondition,
    RelationshipCondition,
    ScreenCondition,
    SegmentCondition,
)
from tidings.segments.evaluate import EVENT_TYPES
from tidings.segments.paths import parse_path
from tidings.segments.types import Reads

__all__ = ["condition_reads"]

_RELATIVE = (Operator.TS_BEFORE_RELATIVE, Operator.TS_AFTER_RELATIVE)


def condition_reads(condition: Condition) -> Reads:
    """The profile attributes (root names), event types and names, devices, object types,
    segments and message activity `condition` reads, and whether time alone can change it."""
    match condition:
        case And(children) | Or(children):
            return reduce(Reads.__or__, (condition_reads(child) for child in children), Reads())
        case Not(child):
            return condition_reads(child)
        case AttributeCondition():
            return Reads(
                attributes=frozenset({parse_path(condition.field).root}),
                is_time_dependent=condition.operator in _RELATIVE,
            )
        case EventCondition() | PageCondition() | ScreenCondition():
            within = condition.window is not None and condition.window.within_days is not None
            return Reads(
                events=frozenset({(EVENT_TYPES[type(condition)], condition.name)}),
                has_profile_age=within and not condition.performed,
                has_event_data=bool(condition.filters),
                is_time_dependent=within or _relative(condition.filters),
            )
        case DeviceCondition():
            return Reads(has_devices=True, is_time_dependent=_relative(condition.filters))
        case RelationshipCondition():
            return Reads(
                object_type_ids=frozenset({condition.object_type_id}),
                is_time_dependent=_relative(condition.object_filters + condition.relationship_filters),
            )
        case SegmentCondition():
            return Reads(segment_ids=frozenset({condition.segment_id}))
        case MessageCondition():
            return Reads(has_messages=True)
    raise AssertionError(f"unknown condition {condition!r}")


def _relative(filters: tuple[AttributeCondition, ...]) -> bool:
    return any(f.operator in _RELATIVE for f in filters)
