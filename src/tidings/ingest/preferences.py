"""Writing `cio_subscription_preferences`: whether a call merges into the stored preferences or
replaces them depends on the API it came through, so ingest says which in the canonical message.

Customer.io documents the rules (Set preferences outside of the subscription center):

- the Pipelines API merges: topics and channels it does not name keep their values, and an empty
  `topics` (or `channels`) object resets them all;
- the Track API (v1 and v2) overwrites with the whole object: what it does not name reverts to
  the defaults;
- dot keys (`"cio_subscription_preferences.topics.topic_2": false`) merge from every API;
- the classic JavaScript snippet sends the object as a JSON string, which overwrites.

The canonical form of a merge is the dot keys themselves: `merge_preferences` turns a Pipelines
object into one dot key per preference, which the processor applies leaf by leaf whatever the
source. A JSON string becomes the object it encodes, applied whole.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["ATTRIBUTE", "merge_preferences", "replace_preferences"]

ATTRIBUTE = "cio_subscription_preferences"
_decode = msgspec.json.Decoder()


def merge_preferences(traits: dict[str, Any]) -> dict[str, Any]:
    """`traits` with a preferences object spread into dot keys, so it merges into what is stored."""
    value = traits.get(ATTRIBUTE)
    if not isinstance(value, dict):
        return replace_preferences(traits)  # absent, null (which removes) or a JSON string
    merged = {name: item for name, item in traits.items() if name != ATTRIBUTE}
    merged.update(_leaves(value, ATTRIBUTE))
    return merged


def replace_preferences(traits: dict[str, Any]) -> dict[str, Any]:
    """`traits` with a preferences object given as a JSON string decoded, so it is stored as an object."""
    value = traits.get(ATTRIBUTE)
    decoded = _decoded(value)
    if decoded is value or not isinstance(decoded, dict):
        return traits
    return {**traits, ATTRIBUTE: decoded}


def _decoded(value: Any) -> Any:
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return value
    try:
        return _decode.decode(value)
    except msgspec.DecodeError:
        return value


def _leaves(value: dict[str, Any], path: str) -> dict[str, Any]:
    """One dot key per value; an empty object stays whole, because setting it resets that map."""
    leaves: dict[str, Any] = {}
    for name, item in value.items():
        key = f"{path}.{name}"
        if isinstance(item, dict) and item:
            leaves.update(_leaves(item, key))
        else:
            leaves[key] = item
    return leaves
