"""How the wire formats name objects, people and relationships, with Customer.io's rules.

Shared by the Track API (v1 `cio_relationships`, v2 entities) and the Pipelines API (group calls
and the object semantic events), so every entry point accepts and refuses the same things.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest.limits import IngestLimits
from tidings.log import ObjectRef, PersonRef, RelatedAnonymous, RelatedObject, RelatedPerson

__all__ = [
    "MAX_OBJECT_ATTRIBUTES_BYTES",
    "anonymous_identifier",
    "object_attributes",
    "object_ref",
    "object_type_id",
    "person_identifiers",
    "related_anonymous",
    "related_objects",
    "related_people",
    "relationship_attributes",
    "v1_relationships",
]

MAX_OBJECT_ATTRIBUTES_BYTES = 100_000
# "relationship" names an object's relationship in Liquid and segments; it cannot be an attribute.
_RESERVED_OBJECT_ATTRIBUTES = frozenset({"relationship"})
_PERSON_IDENTIFIERS = ("id", "email", "cio_id")
_encode = msgspec.json.Encoder().encode


def object_ref(identifiers: Any, *, field: str, limits: IngestLimits) -> ObjectRef:
    """`{"object_type_id": "1", "object_id": "acme"}` or `{"cio_object_id": "..."}`."""
    if not isinstance(identifiers, dict):
        raise InvalidInput(f"{field} must be an object", field=field)
    cio_object_id = identifiers.get("cio_object_id")
    if cio_object_id not in (None, ""):
        if not isinstance(cio_object_id, str):
            raise InvalidInput(f"{field}.cio_object_id must be a string", field=f"{field}.cio_object_id")
        return ObjectRef(cio_object_id=cio_object_id)
    object_id = identifiers.get("object_id", identifiers.get("objectId"))
    if isinstance(object_id, bool) or not isinstance(object_id, (str, int)) or not str(object_id).strip():
        raise InvalidInput(f"{field}.object_id is required", field=f"{field}.object_id")
    object_id = str(object_id)
    if len(object_id) > limits.identifier_chars:
        raise LimitExceeded(
            f"{field}.object_id cannot be longer than {limits.identifier_chars} characters", field=f"{field}.object_id"
        )
    if "\x00" in object_id:
        raise InvalidInput(f"{field}.object_id cannot contain null characters (\\u0000)", field=f"{field}.object_id")
    type_field = "object_type_id" if "object_type_id" in identifiers else "objectTypeId"
    return ObjectRef(
        type_id=object_type_id(identifiers.get(type_field), field=f"{field}.object_type_id"), object_id=object_id
    )


def object_type_id(value: Any, *, field: str) -> int:
    """A positive integer, given as a number or a string of digits; absent means 1 (Customer.io's default)."""
    if value in (None, ""):
        return 1
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a positive integer", field=field)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value < 2**31:
        raise InvalidInput(f"{field} must be a positive integer", field=field)
    return value


def object_attributes(value: Any, *, field: str) -> dict[str, Any]:
    """An object's attributes: a hash of at most 100 KB without the reserved `relationship` key."""
    attributes = _hash(value, field=field)
    for name in attributes:
        if name in _RESERVED_OBJECT_ATTRIBUTES:
            raise InvalidInput(f"{name} is a reserved name and cannot be an object attribute", field=f"{field}.{name}")
    size = len(_encode(attributes))
    if size > MAX_OBJECT_ATTRIBUTES_BYTES:
        raise LimitExceeded(
            f"object attributes cannot be larger than {MAX_OBJECT_ATTRIBUTES_BYTES} bytes", field=field
        )
    return attributes


def relationship_attributes(value: Any, *, field: str) -> dict[str, Any]:
    return _hash(value, field=field)


def person_identifiers(value: Any, *, field: str, limits: IngestLimits) -> PersonRef:
    """Exactly one of `id`, `email` or `cio_id`, as Track v2 and merge_customers name a person."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} is required and must be an object", field=field)
    given = {k: v for k, v in value.items() if k in _PERSON_IDENTIFIERS and v not in (None, "")}
    if len(given) != 1:
        raise InvalidInput(f"{field} must have exactly one of id, email or cio_id", field=field)
    ((kind, identifier),) = given.items()
    if (
        not isinstance(identifier, (str, int))
        or isinstance(identifier, bool)
        or len(str(identifier)) > limits.identifier_chars
        or "\x00" in str(identifier)
    ):
        raise InvalidInput(
            f"{field} {kind} must be a string of at most {limits.identifier_chars} characters",
            field=f"{field}.{kind}",
        )
    return PersonRef(**{kind: str(identifier)})


def related_objects(value: Any, *, field: str, limits: IngestLimits) -> list[RelatedObject]:
    """`[{"identifiers": {object ids}, "relationship_attributes": {...}}, ...]`, seen from a person."""
    return [
        RelatedObject(
            object=object_ref(entry.get("identifiers"), field=f"{field}[{index}].identifiers", limits=limits),
            attributes=relationship_attributes(
                entry.get("relationship_attributes"), field=f"{field}[{index}].relationship_attributes"
            ),
        )
        for index, entry in _entries(value, field=field)
    ]


def related_people(value: Any, *, field: str, limits: IngestLimits) -> list[RelatedPerson]:
    """`[{"identifiers": {"id": ...}, "relationship_attributes": {...}}, ...]`, seen from an object."""
    return [
        RelatedPerson(
            person=person_identifiers(entry.get("identifiers"), field=f"{field}[{index}].identifiers", limits=limits),
            attributes=relationship_attributes(
                entry.get("relationship_attributes"), field=f"{field}[{index}].relationship_attributes"
            ),
        )
        for index, entry in _entries(value, field=field)
    ]


def related_anonymous(value: Any, *, field: str, limits: IngestLimits) -> list[RelatedAnonymous]:
    """`[{"identifiers": {"anonymous_id": ...}, "relationship_attributes": {...}}, ...]`, Track v2
    `identify_anonymous` relationships."""
    related = []
    for index, entry in _entries(value, field=field):
        identifiers = entry.get("identifiers")
        anonymous_id = identifiers.get("anonymous_id") if isinstance(identifiers, dict) else None
        related.append(
            RelatedAnonymous(
                anonymous_id=anonymous_identifier(anonymous_id, field=f"{field}[{index}].identifiers.anonymous_id", limits=limits),
                attributes=relationship_attributes(
                    entry.get("relationship_attributes"), field=f"{field}[{index}].relationship_attributes"
                ),
            )
        )
    return related


def anonymous_identifier(value: Any, *, field: str, limits: IngestLimits) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
        raise InvalidInput(f"{field} is required and must be a string", field=field)
    value = str(value)
    if len(value) > limits.identifier_chars:
        raise LimitExceeded(f"{field} cannot be longer than {limits.identifier_chars} characters", field=field)
    return value


def v1_relationships(value: Any, *, limits: IngestLimits) -> tuple[list[RelatedObject], list[ObjectRef]]:
    """Track v1 `cio_relationships`: a list to add, or `{"action": ..., "relationships": [...]}`.

    Returns the relationships to add and the objects to unrelate.
    """
    field = "cio_relationships"
    if value in (None, ""):
        return [], []
    if isinstance(value, list):
        return related_objects(value, field=field, limits=limits), []
    if not isinstance(value, dict):
        raise InvalidInput("cio_relationships must be an array or an object", field=field)
    action = value.get("action", "add_relationships")
    related = related_objects(value.get("relationships"), field=f"{field}.relationships", limits=limits)
    if action == "add_relationships":
        return related, []
    if action == "delete_relationships":
        return [], [entry.object for entry in related]
    raise InvalidInput(
        "cio_relationships action must be one of: add_relationships, delete_relationships", field=f"{field}.action"
    )


def _entries(value: Any, *, field: str) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be an array", field=field)
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise InvalidInput(f"{field}[{index}] must be an object", field=f"{field}[{index}]")
    return list(enumerate(value))


def _hash(value: Any, *, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a hash", field=field)
    return value
