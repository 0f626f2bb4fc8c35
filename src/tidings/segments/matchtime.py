"""When a person's data made them match: the matchtime an entry carries to campaigns.

Customer.io's segment triggers start a journey at the matchtime, not at the entry (spec §3.4,
spec-campaigns §1.3): a timestamp rule matches at a moment the value gives, anything else when
the data it reads was last updated or sent. The rules, for a condition the person matches:

- `and`: the latest of its children's (the segment matched once its last rule did); `or`: the
  earliest of the children that match.
- attribute `is_timestamp`: the timestamp itself (a future one holds the journey until then);
  `ts_before_relative`: the instant it came true, v + N (ago) or v − N (from now); any other
  operator: when the attribute was last updated, else `now`.
- event, page or screen performed: the latest occurrence counted; not performed within N days:
  when the last occurrence left the window or the profile became N days old, whichever is later;
  not performed otherwise: `now`.
- device: the latest `last_used` of the devices that pass; relationship: the earliest of the
  matching relationships (its creation, or its object's last update if later).
- message: the latest time a counted delivery reached the metric.
- negations (`not`, "has no device", "no relationship", "has never"), segment conditions and
  anything without a time of its own: `now`, when tidings saw the match.

A build gives everyone it adds the build time: it evaluates in SQL, which yields no times. An
exit's matchtime is when it was recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from numbers import Real

from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    DeviceCondition,
    Direction,
    EventCondition,
    MessageCondition,
    Operator,
    Or,
    PageCondition,
    RelationshipCondition,
    ScreenCondition,
)
from tidings.segments.evaluate import (
    counted_deliveries,
    counted_occurrences,
    device_document,
    evaluate,
    object_document,
    occurrences,
    profile_document,
    profile_start,
    test_attribute,
    timestamp_passes,
    unit_seconds,
)
from tidings.segments.paths import parse_path, resolve
from tidings.segments.types import PersonFacts
from tidings.segments.values import EPOCH, as_timestamp

__all__ = ["matchtime"]

_Activity = EventCondition | PageCondition | ScreenCondition


def matchtime(condition: Condition, facts: PersonFacts, *, now: datetime) -> datetime:
    """The matchtime of a person who matches `condition` at `now` (see the rules above)."""
    match condition:
        case And(children):
            return max(matchtime(child, facts, now=now) for child in children)
        case Or(children):
            matching = [matchtime(c, facts, now=now) for c in children if evaluate(c, facts, now=now)]
            return min(matching, default=now)
        case AttributeCondition():
            return _attribute(condition, facts, now)
        case EventCondition() | PageCondition() | ScreenCondition():
            return _activity(condition, facts, now)
        case DeviceCondition(exists=True):
            used = [
                d.last_used
                for d in facts.devices
                if all(test_attribute(f, device_document(d), now=now) for f in condition.filters)
            ]
            return max(used, default=now)
        case RelationshipCondition(exists=True):
            linked = [
                max(r.created_at, r.object.updated_at)
                for r in facts.relationships
                if r.object.type_id == condition.object_type_id
                and all(test_attribute(f, object_document(r), now=now) for f in condition.object_filters)
                and all(test_attribute(f, r.attributes, now=now) for f in condition.relationship_filters)
            ]
            return min(linked, default=now)
        case MessageCondition(negated=False):
            metric = condition.metric.value
            reached = [d.milestones[metric] for d in counted_deliveries(condition, facts)]
            return EPOCH + timedelta(seconds=max(reached)) if reached else now
    return now


def _attribute(condition: AttributeCondition, facts: PersonFacts, now: datetime) -> datetime:
    op = condition.operator
    if op in (Operator.IS_TIMESTAMP, Operator.TS_BEFORE_RELATIVE):
        values = resolve(profile_document(facts), parse_path(condition.field))
        stamps = [t for v in values if (t := as_timestamp(v)) is not None and timestamp_passes(condition, op, t, now)]
        if not stamps:
            return now
        if op is Operator.IS_TIMESTAMP:
            return EPOCH + timedelta(seconds=min(stamps))
        offset = (condition.value if isinstance(condition.value, int) else 0) * unit_seconds(condition.unit)
        sign = 1 if condition.direction is Direction.AGO else -1
        return EPOCH + timedelta(seconds=min(stamps) + sign * offset)
    updated = facts.attribute_times.get(parse_path(condition.field).root)
    if isinstance(updated, Real) and not isinstance(updated, bool):
        return EPOCH + timedelta(seconds=float(updated))
    return now


def _activity(condition: _Activity, facts: PersonFacts, now: datetime) -> datetime:
    if condition.performed:
        counted = counted_occurrences(condition, facts, now=now)
        return max((e.timestamp for e in counted), default=now)
    window = condition.window
    if window is None or window.within_days is None:
        return now
    days = timedelta(days=window.within_days)
    passing = [
        e.timestamp
        for e in occurrences(condition, facts)
        if e.timestamp <= now - days and all(test_attribute(f, e.data, now=now) for f in condition.filters)
    ]
    return max([profile_start(facts) + days, *(t + days for t in passing)])
