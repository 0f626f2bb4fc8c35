"""What a condition reads, so real-time membership re-evaluates only the segments a change touches."""

from __future__ import annotations

from collections.abc import Iterable
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
from tidings.people import EventType
from tidings.segments.types import Reads

__all__ = ["condition_reads", "event_horizons"]

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


def event_horizons(conditions: Iterable[Condition]) -> dict[tuple[EventType, str], int | None]:
    """For each (type, name pattern) of event `conditions` read, how many days back from now an
    evaluation at now reads them: N when every condition naming it counts occurrences "in the past
    N days" (the largest N), else None, all of them.

    Older events change nothing such a condition answers: they are out of its window, they would
    leave it in the past (`next_change` only looks ahead), and filters on them are only checked
    for occurrences in the window, unless a filter is itself relative to now (then all of them).
    "Not performed in the past N days" reads them all: its matchtime is when the last one left
    the window.
    """
    found: dict[tuple[EventType, str], int | None] = {}
    for condition in conditions:
        for key, days in _horizons(condition):
            if key in found:
                known = found[key]
                found[key] = None if known is None or days is None else max(known, days)
            else:
                found[key] = days
    return found


def _horizons(condition: Condition) -> Iterable[tuple[tuple[EventType, str], int | None]]:
    match condition:
        case And(children) | Or(children):
            for child in children:
                yield from _horizons(child)
        case Not(child):
            yield from _horizons(child)
        case EventCondition() | PageCondition() | ScreenCondition():
            window = condition.window
            days = window.within_days if window is not None else None
            if not condition.performed or _relative(condition.filters):
                days = None
            yield (EVENT_TYPES[type(condition)], condition.name), days
