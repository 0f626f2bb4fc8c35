"""The per-person evaluator: does one person match a condition now, and when can that change.

It is the reference the SQL compiler (`compile.py`) must agree with; the property test in
tests/segments/test_agreement.py holds them to it. Value rules are in `values.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from tidings.people import Device, EventType, PersonRelationship
from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    Count,
    CountOp,
    DeviceCondition,
    Direction,
    EventCondition,
    MessageCondition,
    MessageLink,
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
from tidings.segments.paths import leaves, parse_path, resolve
from tidings.segments.patterns import Pattern, is_name_match, parse_name_pattern, parse_pattern
from tidings.segments.settled import is_settled
from tidings.segments.types import DeliveryFact, EventFact, PersonFacts
from tidings.segments.values import EPOCH, as_number, as_timestamp, parse_instant, string_form, unix_seconds

__all__ = [
    "EVENT_TYPES",
    "NEGATIONS",
    "activity_window",
    "count_passes",
    "counted_deliveries",
    "counted_occurrences",
    "device_document",
    "evaluate",
    "is_of_message",
    "link_pattern",
    "next_change",
    "object_document",
    "occurrences",
    "profile_document",
    "profile_start",
    "relative_threshold",
    "test_attribute",
    "timestamp_passes",
    "unit_seconds",
]

EVENT_TYPES: Mapping[type, EventType] = {
    EventCondition: EventType.EVENT,
    PageCondition: EventType.PAGE,
    ScreenCondition: EventType.SCREEN,
}
# Each negative operator holds exactly when its positive one does not.
NEGATIONS: Mapping[Operator, Operator] = {
    Operator.NEQ: Operator.EQ,
    Operator.DOES_NOT_CONTAIN: Operator.CONTAINS,
    Operator.DOES_NOT_EXIST: Operator.EXISTS,
    Operator.IS_NOT_TIMESTAMP: Operator.IS_TIMESTAMP,
}
_UNIT_SECONDS = {TimeUnit.HOURS: 3600, TimeUnit.DAYS: 86400, TimeUnit.WEEKS: 604800}
_JUST_AFTER = timedelta(microseconds=1)
_Activity = EventCondition | PageCondition | ScreenCondition


def evaluate(condition: Condition, facts: PersonFacts, *, now: datetime) -> bool:
    """Whether the person matches `condition` at `now`."""
    match condition:
        case And(children):
            return all(evaluate(child, facts, now=now) for child in children)
        case Or(children):
            return any(evaluate(child, facts, now=now) for child in children)
        case Not(child):
            return not evaluate(child, facts, now=now)
        case AttributeCondition():
            return test_attribute(condition, profile_document(facts), now=now)
        case EventCondition() | PageCondition() | ScreenCondition():
            return _test_activity(condition, facts, now=now)
        case DeviceCondition():
            found = any(_all(condition.filters, device_document(d), now) for d in facts.devices)
            return found == condition.exists
        case RelationshipCondition():
            found = any(_relationship_matches(condition, r, now) for r in facts.relationships)
            return found == condition.exists
        case SegmentCondition():
            return (condition.segment_id in facts.segment_ids) == condition.is_member
        case MessageCondition():
            counted = sum(1 for _ in counted_deliveries(condition, facts))
            return count_passes(condition.count, counted) != condition.negated
    raise AssertionError(f"unknown condition {condition!r}")


def counted_deliveries(condition: MessageCondition, facts: PersonFacts) -> Iterator[DeliveryFact]:
    """The person's deliveries a message condition counts: on its channel, of its message, that
    reached its metric (and, with a link, had a matching link clicked)."""
    links = link_pattern(condition.link) if condition.link is not None else None
    for delivery in facts.deliveries:
        if delivery.channel != condition.channel.value or condition.metric.value not in delivery.milestones:
            continue
        if not is_of_message(condition.message, delivery.transactional_message_id):
            continue
        if links is not None and not any(links.matches(url) for url in delivery.clicked_urls):
            continue
        yield delivery


def is_of_message(message: MessageRef | str, transactional_message_id: int | None) -> bool:
    """Whether a delivery is of `message`: deliveries come only from transactional messages so
    far, so campaign, action, broadcast and newsletter ids match none."""
    if isinstance(message, str):
        return True
    if (message.campaign_id, message.action_id, message.broadcast_id, message.newsletter_id) != (None,) * 4:
        return False
    return message.transactional_message_id in (None, transactional_message_id)


def link_pattern(link: MessageLink) -> Pattern:
    """`contains` takes the contains patterns; `matches` the whole URL, `*` standing for any characters."""
    return parse_pattern(link.url) if link.op == "contains" else parse_name_pattern(link.url)


def next_change(condition: Condition, facts: PersonFacts, *, now: datetime) -> datetime | None:
    """The earliest instant after `now` at which the answer can change with time alone, or None.

    It comes from relative timestamp operators, `within_days` windows and the profile-age rule,
    of the parts whose siblings leave the answer open (settled.py).
    It may be early (the answer need not flip then; re-check and ask again) but is never late:
    at the instant returned, re-evaluating sees any flip that happened.
    """
    return min((t for t in _transitions(condition, facts, now) if t > now), default=None)


def profile_document(facts: PersonFacts) -> dict[str, Any]:
    """The person's attributes with the profile fields segments can also name."""
    document = dict(facts.attributes)
    document["cio_id"] = facts.cio_id
    document["_created_in_customerio_at"] = unix_seconds(facts.created_at)
    for name in ("id", "email"):
        value = getattr(facts, name)
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    return document


def device_document(device: Device) -> dict[str, Any]:
    """What device filters see: the device's fields (last_used in unix seconds) over its attributes."""
    return {
        **device.attributes,
        "token": device.token,
        "platform": device.platform,
        "last_status": device.last_status,
        "last_used": unix_seconds(device.last_used),
    }


def object_document(relationship: PersonRelationship) -> dict[str, Any]:
    return {**relationship.object.attributes, "object_id": relationship.object.object_id}


def unit_seconds(unit: TimeUnit | None) -> int:
    return _UNIT_SECONDS[unit or TimeUnit.DAYS]


def relative_threshold(condition: AttributeCondition, now: datetime) -> float:
    """The unix time a relative operator compares with: now ± N units."""
    assert isinstance(condition.value, int), "parse_condition checks relative values"
    offset = condition.value * unit_seconds(condition.unit)
    sign = -1 if condition.direction is Direction.AGO else 1
    return (now - EPOCH).total_seconds() + sign * offset



def test_attribute(condition: AttributeCondition, document: Mapping[str, Any], *, now: datetime) -> bool:
    """Whether any value the condition's path reaches in `document` passes its operator."""
    positive = NEGATIONS.get(condition.operator)
    if positive is not None:
        return not _test_positive(condition, positive, document, now)
    return _test_positive(condition, condition.operator, document, now)


def _test_positive(condition: AttributeCondition, op: Operator, document: Mapping[str, Any], now: datetime) -> bool:
    values = resolve(document, parse_path(condition.field))
    if op is Operator.EXISTS:
        return any(v is not None and v != "" for v in values)
    if op is Operator.CONTAINS:
        pattern = parse_pattern(_pattern_text(condition.value))
        return any(
            (text := string_form(leaf)) is not None and pattern.matches(text)
            for value in values
            for leaf in leaves(value)
        )
    if op is Operator.EQ:
        wanted_number = as_number(condition.value)
        if wanted_number is not None:
            return any(as_number(v) == wanted_number for v in values)
        wanted = string_form(condition.value)
        return any(string_form(v) == wanted for v in values)
    if op in (Operator.GT, Operator.LT, Operator.GTE, Operator.LTE):
        bound = as_number(condition.value)
        assert bound is not None, "parse_condition checks numeric operands"
        compare = _COMPARE[op]
        return any((n := as_number(v)) is not None and compare(n, bound) for v in values)
    stamps = [t for v in values if (t := as_timestamp(v)) is not None]
    return any(timestamp_passes(condition, op, t, now) for t in stamps)


_COMPARE: Mapping[Operator, Callable[[float, float], bool]] = {
    Operator.GT: lambda a, b: a > b,
    Operator.LT: lambda a, b: a < b,
    Operator.GTE: lambda a, b: a >= b,
    Operator.LTE: lambda a, b: a <= b,
}


def _pattern_text(value: Any) -> str:
    return value if isinstance(value, str) else str(string_form(value))


def timestamp_passes(condition: AttributeCondition, op: Operator, stamp: int, now: datetime) -> bool:
    if op is Operator.IS_TIMESTAMP:
        return True
    if op is Operator.TS_BEFORE_RELATIVE:
        return stamp < relative_threshold(condition, now)
    if op is Operator.TS_AFTER_RELATIVE:
        return stamp > relative_threshold(condition, now)
    at = _unix(parse_instant(condition.value))
    if op is Operator.TS_BEFORE_DATE:
        return stamp < at
    if op is Operator.TS_AFTER_DATE:
        return stamp > at
    assert op is Operator.TS_BETWEEN
    return at <= stamp <= _unix(parse_instant(condition.value2))


def _unix(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds()


def _all(filters: Iterable[AttributeCondition], document: Mapping[str, Any], now: datetime) -> bool:
    return all(test_attribute(f, document, now=now) for f in filters)


def _relationship_matches(condition: RelationshipCondition, relationship: PersonRelationship, now: datetime) -> bool:
    return (
        relationship.object.type_id == condition.object_type_id
        and _all(condition.object_filters, object_document(relationship), now)
        and _all(condition.relationship_filters, relationship.attributes, now)
    )


def activity_window(window: Window | None, now: datetime) -> tuple[datetime | None, bool, datetime | None]:
    """(start, is_start_included, end included) bounds of the events a window counts."""
    if window is None:
        return None, True, None
    if window.within_days is not None:
        return now - timedelta(days=window.within_days), False, now
    if window.between is not None:
        return parse_instant(window.between[0]), True, parse_instant(window.between[1])
    return parse_instant(window.since), True, None


def occurrences(condition: _Activity, facts: PersonFacts) -> Iterator[EventFact]:
    """The person's events of the condition's type and name, in any window."""
    kind, pattern = EVENT_TYPES[type(condition)], condition.name
    return (e for e in facts.events if e.type is kind and is_name_match(pattern, e.name))


def counted_occurrences(condition: _Activity, facts: PersonFacts, *, now: datetime) -> list[EventFact]:
    """The occurrences an activity condition counts: of its type and name, in its window, passing
    every filter."""
    start, start_included, end = activity_window(condition.window, now)
    counted = []
    for event in occurrences(condition, facts):
        if start is not None and (event.timestamp < start or (event.timestamp == start and not start_included)):
            continue
        if end is not None and event.timestamp > end:
            continue
        if _all(condition.filters, event.data, now):
            counted.append(event)
    return counted


def _test_activity(condition: _Activity, facts: PersonFacts, *, now: datetime) -> bool:
    count = len(counted_occurrences(condition, facts, now=now))
    if condition.performed:
        return count_passes(condition.count, count)
    if condition.window is not None and condition.window.within_days is not None:
        if profile_start(facts) > now - timedelta(days=condition.window.within_days):
            return False  # Customer.io does not judge profiles younger than the window (§3.5.3)
    return not count_passes(condition.count, count)


def count_passes(count: Count | None, n: int) -> bool:
    if count is None:
        return n >= 1
    if count.op is CountOp.AT_LEAST:
        return n >= count.n
    if count.op is CountOp.AT_MOST:
        return n <= count.n
    return n == count.n


def profile_start(facts: PersonFacts) -> datetime:
    """The earlier of the profile's creation and its earliest event."""
    candidates = [facts.created_at, *(e.timestamp for e in facts.events)]
    if facts.first_event_at is not None:
        candidates.append(facts.first_event_at)
    return min(candidates)


def _transitions(condition: Condition, facts: PersonFacts, now: datetime) -> Iterator[datetime]:
    match condition:
        case And(children) | Or(children):
            # A settled child that already decides the group (false in `and`, true in `or`) keeps
            # deciding it until the person's data changes: time can flip nothing (settled.py).
            deciding = isinstance(condition, Or)
            if any(is_settled(c) and evaluate(c, facts, now=now) == deciding for c in children):
                return
            for child in children:
                yield from _transitions(child, facts, now)
        case Not(child):
            yield from _transitions(child, facts, now)
        case AttributeCondition():
            yield from _attribute_transitions(condition, profile_document(facts))
        case EventCondition() | PageCondition() | ScreenCondition():
            yield from _activity_transitions(condition, facts)
        case DeviceCondition():
            for device in facts.devices:
                for item in condition.filters:
                    yield from _attribute_transitions(item, device_document(device))
        case RelationshipCondition():
            for relationship in facts.relationships:
                if relationship.object.type_id == condition.object_type_id:
                    for item in condition.object_filters:
                        yield from _attribute_transitions(item, object_document(relationship))
                    for item in condition.relationship_filters:
                        yield from _attribute_transitions(item, relationship.attributes)


def _attribute_transitions(condition: AttributeCondition, document: Mapping[str, Any]) -> Iterator[datetime]:
    """When a relative operator flips for each timestamp the path reaches.

    `v < now − N` turns true just after now = v + N; `v > now − N` turns false at v + N (and
    likewise with + N for from_now). Strictness decides which side of the instant flips, so the
    "turns true" instants are one microsecond late, where a re-check sees the flip.
    """
    op = condition.operator
    if op not in (Operator.TS_BEFORE_RELATIVE, Operator.TS_AFTER_RELATIVE):
        return
    assert isinstance(condition.value, int)
    offset = condition.value * unit_seconds(condition.unit)
    if condition.direction is Direction.FROM_NOW:
        offset = -offset
    for value in resolve(document, parse_path(condition.field)):
        stamp = as_timestamp(value)
        if stamp is None:
            continue
        flip = EPOCH + timedelta(seconds=stamp + offset)
        yield flip + _JUST_AFTER if op is Operator.TS_BEFORE_RELATIVE else flip


def _activity_transitions(condition: _Activity, facts: PersonFacts) -> Iterator[datetime]:
    """An occurrence enters a within_days window at its timestamp and leaves N days later; its
    filters may flip on their own; a young profile comes of age N days after it started."""
    window = condition.window
    days = window.within_days if window is not None else None
    for event in occurrences(condition, facts):
        if days is not None:
            yield event.timestamp
            yield event.timestamp + timedelta(days=days)
        for item in condition.filters:
            yield from _attribute_transitions(item, event.data)
    if days is not None and not condition.performed:
        yield profile_start(facts) + timedelta(days=days)
