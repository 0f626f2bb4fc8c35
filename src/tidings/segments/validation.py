"""Turning a condition document into a checked Condition, with errors that name the bad node."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    Count,
    CountOp,
    Direction,
    MessageChannel,
    MessageMetric,
    TimeUnit,
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
    Window,
)
from tidings.segments.errors import InvalidCondition
from tidings.segments.paths import PathError, parse_path
from tidings.segments.patterns import PatternError, parse_name_pattern, parse_pattern
from tidings.segments.values import as_number, parse_instant, string_form

__all__ = ["MAX_DEPTH", "PROFILE_FIELDS", "parse_condition", "validate_segment_references", "walk"]

# Groups nest without limit at Customer.io; a bound keeps evaluation and SQL size sane.
MAX_DEPTH = 10
MAX_CHILDREN = 200
# Profile fields that are not in the attributes JSON, and the one internal name segments may use
# (the documented workaround for the profile-age rule of §3.5.3).
PROFILE_FIELDS = frozenset({"id", "email", "cio_id", "_created_in_customerio_at"})

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")
_NO_VALUE = frozenset({Operator.EXISTS, Operator.DOES_NOT_EXIST, Operator.IS_TIMESTAMP, Operator.IS_NOT_TIMESTAMP})
_NUMERIC = frozenset({Operator.GT, Operator.LT, Operator.GTE, Operator.LTE})
_RELATIVE = frozenset({Operator.TS_BEFORE_RELATIVE, Operator.TS_AFTER_RELATIVE})
_DATE = frozenset({Operator.TS_BEFORE_DATE, Operator.TS_AFTER_DATE})
_ENUMS = {
    "operator": [o.value for o in Operator],
    "direction": [d.value for d in Direction],
    "unit": [u.value for u in TimeUnit],
    "op": [o.value for o in CountOp],
    "channel": [c.value for c in MessageChannel],
    "metric": [m.value for m in MessageMetric],
}
_TYPES = "and, or, not, attribute, event, page, screen, device, relationship, segment, message"


def parse_condition(document: Any) -> Condition:
    """The Condition a decoded JSON document describes.

    Raises InvalidCondition whose `field` is the path of the bad node (`children[1].operator`)
    and whose message says what is wrong, for shape errors and rule errors alike.
    """
    _check_nesting(document, "", 0)
    try:
        condition: Condition = msgspec.convert(document, Condition)  # type: ignore[arg-type]
    except msgspec.ValidationError as error:
        raise _translate(str(error)) from None
    _check(condition, "", depth=1)
    return condition


def walk(condition: Condition, path: str = "") -> Iterator[tuple[str, Condition]]:
    """Every node of the tree with its path, parents before children."""
    yield path, condition
    match condition:
        case And(children) | Or(children):
            for i, child in enumerate(children):
                yield from walk(child, _join(path, f"children[{i}]"))
        case Not(child):
            yield from walk(child, _join(path, "child"))


def validate_segment_references(
    condition: Condition, *, segment_id: int | None, others: Mapping[int, Condition | None]
) -> None:
    """Refuse segment conditions Customer.io refuses (spec §3.9.1), so nesting stays one level
    deep and can never cycle.

    `others` maps every other segment of the workspace to its condition (None for a manual
    segment); `segment_id` is the segment being saved (None when new). Raises InvalidCondition
    for a reference to itself, to an unknown segment, or to one that has segment conditions, and
    when this segment has segment conditions but another segment refers to it.
    """
    references = [(path, node) for path, node in walk(condition) if isinstance(node, SegmentCondition)]
    for path, node in references:
        field = _join(path, "segment_id")
        if node.segment_id == segment_id:
            raise InvalidCondition("a segment cannot refer to itself", field=field)
        if node.segment_id not in others:
            raise InvalidCondition(f"segment {node.segment_id} does not exist", field=field)
        target = others[node.segment_id]
        if target is not None and _has_segment_conditions(target):
            raise InvalidCondition(
                f"segment {node.segment_id} has segment conditions itself; segments nest one level only",
                field=field,
            )
    if references and segment_id is not None:
        users = sorted(
            other_id
            for other_id, other in others.items()
            if other is not None
            and any(isinstance(n, SegmentCondition) and n.segment_id == segment_id for _, n in walk(other))
        )
        if users:
            raise InvalidCondition(
                f"segment {users[0]} refers to this segment, so it cannot have segment conditions",
                field=references[0][0] or None,
            )


def _has_segment_conditions(condition: Condition) -> bool:
    return any(isinstance(node, SegmentCondition) for _, node in walk(condition))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path and not name.startswith("[") else f"{path}{name}"


def _check_nesting(document: Any, path: str, depth: int) -> None:
    """Refuse documents nested too deep before msgspec recurses into them."""
    if depth > 4 * MAX_DEPTH:
        raise InvalidCondition(f"conditions nest at most {MAX_DEPTH} groups deep", field=path or None)
    if isinstance(document, dict):
        for key, value in document.items():
            _check_nesting(value, _join(path, str(key)), depth + 1)
    elif isinstance(document, list):
        for i, value in enumerate(document):
            _check_nesting(value, f"{path}[{i}]", depth + 1)


def _translate(message: str) -> InvalidCondition:
    """msgspec's "<what> - at `$.a.b`" as an InvalidCondition naming `a.b`."""
    found = _AT.match(message)
    assert found is not None
    text, path = found["message"], (found["path"] or "").lstrip(".")
    if missing := _MISSING.match(text):
        return InvalidCondition(f"{missing['name']} is required", field=_join(path, missing["name"]))
    if unknown := _UNKNOWN.match(text):
        return InvalidCondition(f"unknown field {unknown['name']!r}", field=_join(path, unknown["name"]))
    if text.startswith("Invalid enum value"):
        choices = _ENUMS.get(path.rsplit(".", 1)[-1])
        if choices is not None:
            text = f"{text}; use one of: {', '.join(choices)}"
    if path.endswith("type") and text.startswith("Invalid value"):
        return InvalidCondition(f"{text.removeprefix('Invalid value ')} is not a condition type; use one of: {_TYPES}", field=path)
    if text.startswith("Expected `object`") and not path.endswith(("window", "count", "link", "message")):
        text = f"{text}; a condition is an object with a \"type\""
    return InvalidCondition(text, field=path or None)


def _check(condition: Condition, path: str, *, depth: int) -> None:
    match condition:
        case And(children) | Or(children):
            if depth > MAX_DEPTH:
                raise InvalidCondition(f"conditions nest at most {MAX_DEPTH} groups deep", field=path or None)
            if not children:
                raise InvalidCondition("a group needs at least one condition", field=_join(path, "children"))
            if len(children) > MAX_CHILDREN:
                raise InvalidCondition(f"a group holds at most {MAX_CHILDREN} conditions", field=_join(path, "children"))
            for i, child in enumerate(children):
                _check(child, _join(path, f"children[{i}]"), depth=depth + 1)
        case Not(child):
            _check(child, _join(path, "child"), depth=depth + 1)
        case AttributeCondition():
            _check_attribute(condition, path, scope="profile")
        case EventCondition() | PageCondition() | ScreenCondition():
            _check_activity(condition, path)
        case DeviceCondition(filters=filters):
            for i, item in enumerate(filters):
                _check_attribute(item, _join(path, f"filters[{i}]"), scope="device")
        case RelationshipCondition():
            if condition.object_type_id < 1:
                raise InvalidCondition("object types are numbered from 1", field=_join(path, "object_type_id"))
            for i, item in enumerate(condition.object_filters):
                _check_attribute(item, _join(path, f"object_filters[{i}]"), scope="object")
            for i, item in enumerate(condition.relationship_filters):
                _check_attribute(item, _join(path, f"relationship_filters[{i}]"), scope="relationship")
        case SegmentCondition(segment_id=segment_id):
            if segment_id < 1:
                raise InvalidCondition("segment ids start at 1", field=_join(path, "segment_id"))
        case MessageCondition():
            _check_message(condition, path)


def _check_attribute(condition: AttributeCondition, path: str, *, scope: str) -> None:
    field = _join(path, "field")
    try:
        parsed = parse_path(condition.field)
    except PathError as error:
        raise InvalidCondition(f"{condition.field!r}: {error}", field=field) from None
    if scope == "profile" and parsed.root.startswith("_") and parsed.root not in PROFILE_FIELDS:
        raise InvalidCondition("attributes starting with '_' are internal and cannot be used in segments", field=field)
    if scope == "device" and not parsed.is_single_key:
        raise InvalidCondition("device filters name one top-level attribute; nested device attributes cannot be used", field=field)
    _check_operands(condition, path)


def _check_operands(condition: AttributeCondition, path: str) -> None:
    op, value = condition.operator, condition.value
    name = op.value

    def refuse(message: str, part: str = "value") -> InvalidCondition:
        return InvalidCondition(message, field=_join(path, part))

    if condition.value2 is not None and op is not Operator.TS_BETWEEN:
        raise refuse(f"{name} takes no value2", "value2")
    if condition.direction is not None and op not in _RELATIVE:
        raise refuse(f"{name} takes no direction", "direction")
    if condition.unit is not None and op not in _RELATIVE:
        raise refuse(f"{name} takes no unit", "unit")
    if op in _NO_VALUE:
        if value is not None:
            raise refuse(f"{name} takes no value")
    elif op in (Operator.EQ, Operator.NEQ, Operator.CONTAINS, Operator.DOES_NOT_CONTAIN):
        if value is None or value == "":
            raise refuse(f"{name} needs a value; use exists or does_not_exist to test for an empty attribute")
        if string_form(value) is None:
            raise refuse(f"{name} needs a finite number")
        if op in (Operator.CONTAINS, Operator.DOES_NOT_CONTAIN):
            try:
                parse_pattern(value if isinstance(value, str) else str(string_form(value)))
            except PatternError as error:
                raise refuse(str(error)) from None
    elif op in _NUMERIC:
        if as_number(value) is None:
            raise refuse(f"{name} needs a number")
    elif op in _RELATIVE:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
            raise refuse(f"{name} needs a whole number of {condition.unit or 'days'} from 0 to 100000")
        if condition.direction is None:
            raise refuse(f"{name} needs a direction: ago or from_now", "direction")
    elif op in _DATE:
        _instant(value, refuse)
    elif op is Operator.TS_BETWEEN:
        start = _instant(value, refuse)
        end = _instant(condition.value2, lambda m: refuse(m, "value2"))
        if end < start:
            raise refuse("value2 must not be before value", "value2")


def _instant(value: Any, refuse: Any) -> Any:
    try:
        return parse_instant(value)
    except ValueError as error:
        raise refuse(f"a date is needed: {error}") from None


def _check_activity(condition: EventCondition | PageCondition | ScreenCondition, path: str) -> None:
    if not condition.name.strip():
        raise InvalidCondition("a name is needed", field=_join(path, "name"))
    try:
        parse_name_pattern(condition.name)
    except PatternError as error:
        raise InvalidCondition(str(error), field=_join(path, "name")) from None
    if condition.count is not None:
        _check_count(condition.count, _join(path, "count"))
    if condition.window is not None:
        _check_window(condition.window, _join(path, "window"))
    for i, item in enumerate(condition.filters):
        _check_attribute(item, _join(path, f"filters[{i}]"), scope="event")


def _check_count(count: Count, path: str) -> None:
    if not 0 <= count.n <= 1_000_000:
        raise InvalidCondition("n must be from 0 to 1000000", field=_join(path, "n"))


def _check_window(window: Window, path: str) -> None:
    given = [name for name in ("within_days", "between", "since") if getattr(window, name) is not None]
    if len(given) != 1:
        raise InvalidCondition("a window has exactly one of within_days, between or since", field=path)
    if window.within_days is not None and not 1 <= window.within_days <= 100_000:
        raise InvalidCondition("within_days must be from 1 to 100000", field=_join(path, "within_days"))
    if window.between is not None:
        start, end = (
            _instant(value, lambda m, i=i: InvalidCondition(m, field=_join(path, f"between[{i}]")))
            for i, value in enumerate(window.between)
        )
        if end < start:
            raise InvalidCondition("the window ends before it starts", field=_join(path, "between[1]"))
    if window.since is not None:
        _instant(window.since, lambda m: InvalidCondition(m, field=_join(path, "since")))


def _check_message(condition: MessageCondition, path: str) -> None:
    if isinstance(condition.message, str) and condition.message != "any":
        raise InvalidCondition('message is "any" or an object of ids', field=_join(path, "message"))
    if condition.link is not None:
        if condition.link.op not in ("contains", "matches"):
            raise InvalidCondition("link op is contains or matches", field=_join(path, "link.op"))
        if not condition.link.url:
            raise InvalidCondition("link url is needed", field=_join(path, "link.url"))
    if condition.count is not None:
        _check_count(condition.count, _join(path, "count"))
