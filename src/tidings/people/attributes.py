"""Customer.io's rules for attribute values, as pure functions over plain dicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "AttributeChange",
    "apply_attribute_updates",
    "fill_missing_attributes",
    "is_empty",
    "is_unsubscribed",
    "merge_plain_attributes",
    "set_dotted",
]

# Keys of an identify body that steer the call and are never stored as attributes.
CONTROL_KEYS = frozenset({"_timestamp", "_update", "anonymous_id", "cio_relationships", "id", "email", "cio_id"})

# Dot keys reach into these attributes instead of naming a flat attribute ("a.b.c" sets one leaf).
_NESTED_WRITE_ROOTS = frozenset({"cio_subscription_preferences"})


@dataclass(frozen=True, slots=True)
class AttributeChange:
    name: str
    old: Any
    new: Any


def is_empty(value: Any) -> bool:
    """Customer.io does not store empty values: null or "" removes the attribute."""
    return value is None or value == ""


def is_unsubscribed(value: Any) -> bool:
    """`unsubscribed` is true for any case of "true", for 1 and for "1"; anything else subscribes."""
    if value is True:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1"}
    return False


def apply_attribute_updates(
    attributes: dict[str, Any],
    timestamps: dict[str, int],
    updates: dict[str, Any],
    *,
    at: int,
) -> tuple[dict[str, Any], dict[str, int], list[AttributeChange]]:
    """New attributes and timestamps after `updates` written at unix time `at`.

    An update older than the attribute's last accepted one is skipped (`_timestamp` ordering);
    an empty value removes the attribute.
    """
    before = attributes
    attributes, timestamps = dict(attributes), dict(timestamps)
    changed: dict[str, None] = {}  # names in the order they first changed
    for name, value in updates.items():
        if name in CONTROL_KEYS:
            continue
        root, _, path = name.partition(".")
        if path and root in _NESTED_WRITE_ROOTS:
            name, value = root, set_dotted(attributes.get(root), path, value)
        if timestamps.get(name, 0) > at:
            continue
        if is_empty(value):
            if attributes.pop(name, None) is not None:
                changed[name] = None
            timestamps.pop(name, None)
            continue
        timestamps[name] = at
        if attributes.get(name) != value:
            attributes[name] = value
            changed[name] = None
    # Several dot keys of one call change one attribute once, from what it was to what it became.
    changes = [
        AttributeChange(name, before.get(name), attributes.get(name))
        for name in changed
        if before.get(name) != attributes.get(name)
    ]
    return attributes, timestamps, changes


def merge_plain_attributes(current: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """Object and relationship attributes: `updates` overwrite, and an empty value removes.

    Unlike a person's, they keep no per-attribute times and no keys are reserved for identifiers.
    """
    merged = dict(current)
    for name, value in updates.items():
        if is_empty(value):
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def set_dotted(container: Any, path: str, value: Any) -> dict[str, Any]:
    """A copy of `container` (a dict, or nothing) with `value` at the dotted `path`; an empty value
    removes that leaf (a subscription preference set to null reverts to the topic's default)."""
    result = dict(container) if isinstance(container, dict) else {}
    head, _, rest = path.partition(".")
    if rest:
        result[head] = set_dotted(result.get(head), rest, value)
    elif is_empty(value):
        result.pop(head, None)
    else:
        result[head] = value
    return result


def fill_missing_attributes(
    primary: dict[str, Any],
    primary_timestamps: dict[str, int],
    secondary: dict[str, Any],
    secondary_timestamps: dict[str, int],
) -> tuple[dict[str, Any], dict[str, int]]:
    """Merge rule: the secondary's values fill what the primary lacks; where both have one, the
    primary wins."""
    attributes, timestamps = dict(primary), dict(primary_timestamps)
    for name, value in secondary.items():
        if is_empty(attributes.get(name)) and not is_empty(value):
            attributes[name] = value
            if name in secondary_timestamps:
                timestamps[name] = secondary_timestamps[name]
    return attributes, timestamps
