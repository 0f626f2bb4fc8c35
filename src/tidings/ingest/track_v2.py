"""Track API v2 entities (`/api/v2/entity`, `/api/v2/batch`) → canonical messages.

An entity names its `type` (person, object or delivery) and `action`; every person and object
operation of the v1 API and the Pipelines API has an action here. `entity` raises InvalidInput
naming the field; a batch answers per index, so `batch_entities` opens the body and leaves each
entity to be translated (or refused) on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest.limits import IngestLimits
from tidings.ingest.objects import (
    anonymous_identifier,
    object_attributes,
    object_ref,
    person_identifiers,
    related_anonymous,
    related_objects,
    related_people,
)
from tidings.ingest.preferences import replace_preferences
from tidings.ingest.track_api import check_attributes, event_message, parse_unix_timestamp
from tidings.log import (
    DeleteDevice,
    DeleteObject,
    DeletePerson,
    Identify,
    IdentifyObject,
    Merge,
    Message,
    ObjectRef,
    PersonRef,
    Relate,
    RelatedAnonymous,
    ReportDelivery,
    SuppressPerson,
    Unrelate,
    UnrelateObject,
    UnsuppressPerson,
    UpsertDevice,
)

__all__ = ["batch_entities", "entity"]

_PLATFORMS = frozenset({"ios", "android"})
# Metrics a delivery entity may report (the v2 API documents these three).
_DELIVERY_EVENT_METRICS = frozenset({"opened", "converted", "delivered"})
_encode = msgspec.json.Encoder().encode

_PersonAction = Callable[[dict[str, Any], PersonRef, datetime, IngestLimits], Message]


def batch_entities(body: dict[str, Any], *, limits: IngestLimits) -> list[Any]:
    """The entities of a `/api/v2/batch` body; each must stay under the per-entity size limit."""
    entities = body.get("batch")
    if not isinstance(entities, list):
        raise InvalidInput("batch is required and must be an array", field="batch")
    return entities


def entity(value: Any, *, received_at: datetime, limits: IngestLimits) -> Message:
    """The message for one entity operation."""
    if not isinstance(value, dict):
        raise InvalidInput("an entity must be an object", field="")
    if len(_encode(value)) > limits.body_bytes:
        raise LimitExceeded(f"an entity cannot be larger than {limits.body_bytes // 1024}kb", field="")
    kind, action = value.get("type"), value.get("action")
    if kind == "person":
        return _person(value, action, received_at=received_at, limits=limits)
    if kind == "object":
        return _object(value, action, received_at=received_at, limits=limits)
    if kind == "delivery":
        return _delivery(value, action, received_at=received_at)
    raise InvalidInput("type must be one of: person, object, delivery", field="type")


def _person(value: dict[str, Any], action: Any, *, received_at: datetime, limits: IngestLimits) -> Message:
    if action == "merge":
        return Merge(
            received_at=received_at,
            primary=person_identifiers(value.get("primary"), field="primary", limits=limits),
            secondary=person_identifiers(value.get("secondary"), field="secondary", limits=limits),
        )
    identifiers = value.get("identifiers")
    if action in ("event", "page", "screen") and isinstance(identifiers, dict) and set(identifiers) == {"anonymous_id"}:
        return _event(value, action, person=None, anonymous_id=identifiers["anonymous_id"], received_at=received_at, limits=limits)
    build = _PERSON_ACTIONS.get(action) if isinstance(action, str) else None
    if build is None:
        raise InvalidInput(f"action must be one of: {', '.join(sorted([*_PERSON_ACTIONS, 'merge']))}", field="action")
    person = person_identifiers(identifiers, field="identifiers", limits=limits)
    return build(value, person, received_at, limits)


def _identify(value: dict[str, Any], person: PersonRef, received_at: datetime, limits: IngestLimits) -> Message:
    attributes = _hash(value.get("attributes"), "attributes")
    check_attributes(attributes, limits)
    timestamp = value.get("timestamp", attributes.get("_timestamp"))
    return Identify(
        received_at=received_at,
        person=person,
        traits=replace_preferences({k: v for k, v in attributes.items() if k not in ("_timestamp", "_update")}),
        attributes_at=parse_unix_timestamp(timestamp, "timestamp") if timestamp not in (None, "") else None,
        update_only=attributes.get("_update") is True,
        add_relationships=related_objects(value.get("cio_relationships") or [], field="cio_relationships", limits=limits),
    )


def _event(
    value: dict[str, Any],
    action: str,
    *,
    person: PersonRef | None,
    anonymous_id: Any,
    received_at: datetime,
    limits: IngestLimits,
) -> Message:
    if anonymous_id is not None and (not isinstance(anonymous_id, str) or not anonymous_id.strip()):
        raise InvalidInput("identifiers.anonymous_id must be a string", field="identifiers.anonymous_id")
    body = {
        "name": value.get("name"),
        "data": value.get("attributes"),
        "type": action,
        "timestamp": value.get("timestamp"),
        "id": value.get("id"),
    }
    return event_message(body, person=person, anonymous_id=anonymous_id, received_at=received_at, limits=limits)


def _add_device(value: dict[str, Any], person: PersonRef, received_at: datetime, limits: IngestLimits) -> Message:
    device = _hash(value.get("device"), "device")
    token = device.get("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidInput("device token cannot be blank", field="device.token")
    platform = device.get("platform")
    if platform not in _PLATFORMS:
        raise InvalidInput("device platform must be one of: ios, android", field="device.platform")
    last_used = device.get("last_used")
    attributes = _hash(device.get("attributes"), "device.attributes")
    return UpsertDevice(
        received_at=received_at,
        person=person,
        token=token,
        platform=platform,
        last_used=parse_unix_timestamp(last_used, "device.last_used") if last_used not in (None, "") else None,
        attributes=attributes,
    )


def _delete_device(value: dict[str, Any], person: PersonRef, received_at: datetime, limits: IngestLimits) -> Message:
    token = _hash(value.get("device"), "device").get("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidInput("device token cannot be blank", field="device.token")
    return DeleteDevice(received_at=received_at, person=person, token=token)


def _object(value: dict[str, Any], action: Any, *, received_at: datetime, limits: IngestLimits) -> Message:
    ref = object_ref(value.get("identifiers"), field="identifiers", limits=limits)
    if action == "identify_anonymous":
        return _identify_anonymous(value, ref, received_at=received_at, limits=limits)
    if action == "identify":
        return IdentifyObject(
            received_at=received_at,
            object=ref,
            attributes=object_attributes(value.get("attributes"), field="attributes"),
            add_relationships=related_people(value.get("cio_relationships") or [], field="cio_relationships", limits=limits),
        )
    if action == "delete":
        return DeleteObject(received_at=received_at, object=ref)
    if action == "add_relationships":
        people = related_people(value.get("cio_relationships"), field="cio_relationships", limits=limits)
        return IdentifyObject(received_at=received_at, object=ref, add_relationships=people)
    if action == "delete_relationships":
        people = related_people(value.get("cio_relationships"), field="cio_relationships", limits=limits)
        return UnrelateObject(received_at=received_at, object=ref, people=[entry.person for entry in people])
    raise InvalidInput(
        "action must be one of: add_relationships, delete, delete_relationships, identify, identify_anonymous",
        field="action",
    )


def _identify_anonymous(
    value: dict[str, Any], ref: ObjectRef, *, received_at: datetime, limits: IngestLimits
) -> IdentifyObject:
    """An object related to people known only by anonymous ids: those in `cio_relationships`, or
    the one `anonymous_id` names (Customer.io's example uses that form)."""
    related = related_anonymous(value.get("cio_relationships") or [], field="cio_relationships", limits=limits)
    if value.get("anonymous_id") not in (None, ""):
        related.append(RelatedAnonymous(anonymous_identifier(value["anonymous_id"], field="anonymous_id", limits=limits)))
    if not related:
        raise InvalidInput("anonymous_id is required for identify_anonymous", field="anonymous_id")
    return IdentifyObject(
        received_at=received_at,
        object=ref,
        attributes=object_attributes(value.get("attributes"), field="attributes"),
        add_anonymous_relationships=related,
    )


def _delivery(value: dict[str, Any], action: Any, *, received_at: datetime) -> Message:
    if action != "event":
        raise InvalidInput("action must be: event", field="action")
    delivery_id = _hash(value.get("identifiers"), "identifiers").get("id")
    if not isinstance(delivery_id, str) or not delivery_id.strip():
        raise InvalidInput("identifiers.id (the delivery id) is required", field="identifiers.id")
    metric = value.get("name")
    if metric not in _DELIVERY_EVENT_METRICS:
        raise InvalidInput("name must be one of: converted, delivered, opened", field="name")
    attributes = _hash(value.get("attributes"), "attributes")
    token = attributes.get("device_token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidInput("attributes.device_token is required", field="attributes.device_token")
    timestamp = value.get("timestamp")
    return ReportDelivery(
        received_at=received_at,
        delivery_id=delivery_id,
        metric=metric,
        recipient=token,
        timestamp=parse_unix_timestamp(timestamp, "timestamp") if timestamp not in (None, "") else None,
    )


def _hash(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a hash", field=field)
    return value


_PERSON_ACTIONS: dict[str, _PersonAction] = {
    "identify": _identify,
    "delete": lambda value, person, at, limits: DeletePerson(received_at=at, person=person),
    "event": lambda value, person, at, limits: _event(
        value, "event", person=person, anonymous_id=None, received_at=at, limits=limits
    ),
    "page": lambda value, person, at, limits: _event(
        value, "page", person=person, anonymous_id=None, received_at=at, limits=limits
    ),
    "screen": lambda value, person, at, limits: _event(
        value, "screen", person=person, anonymous_id=None, received_at=at, limits=limits
    ),
    "add_relationships": lambda value, person, at, limits: Relate(
        received_at=at,
        person=person,
        objects=related_objects(value.get("cio_relationships"), field="cio_relationships", limits=limits),
    ),
    "delete_relationships": lambda value, person, at, limits: Unrelate(
        received_at=at,
        person=person,
        objects=[
            entry.object
            for entry in related_objects(value.get("cio_relationships"), field="cio_relationships", limits=limits)
        ],
    ),
    "add_device": _add_device,
    "delete_device": _delete_device,
    "suppress": lambda value, person, at, limits: SuppressPerson(received_at=at, person=person),
    "unsuppress": lambda value, person, at, limits: UnsuppressPerson(received_at=at, person=person),
}
