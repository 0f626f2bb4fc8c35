"""Track API v1 calls → canonical messages, with Customer.io's validation and error texts.

Each function takes the parts of one request (path identifier, decoded body) and returns the
message to log, or raises InvalidInput with the message the API answers in `meta.error`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from tidings.clock import from_unix
from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest.limits import IngestLimits
from tidings.ingest.objects import person_identifiers, v1_relationships
from tidings.ingest.preferences import replace_preferences
from tidings.log import (
    ChangeSegment,
    DeleteDevice,
    DeletePerson,
    Identify,
    Merge,
    Page,
    PersonRef,
    ReportDelivery,
    Screen,
    SuppressPerson,
    Track,
    UnsuppressPerson,
    UpsertDevice,
)

__all__ = [
    "anonymous_event",
    "check_attributes",
    "customer_event",
    "delete_customer",
    "delete_device",
    "event_message",
    "identify",
    "delivery_metric",
    "merge_customers",
    "push_event",
    "segment_change",
    "parse_unix_timestamp",
    "suppress",
    "unsuppress",
    "upsert_device",
]

# Keys of an identify body that steer the call rather than set attributes.
_IDENTIFY_CONTROL_KEYS = frozenset({"_timestamp", "_update", "anonymous_id", "cio_relationships"})
_EVENT_TYPES = {"event": Track, "page": Page, "screen": Screen}
_PLATFORMS = frozenset({"ios", "android"})
_encode = msgspec.json.Encoder().encode


def identify(identifier: str, body: dict[str, Any], *, received_at: datetime, limits: IngestLimits) -> Identify:
    """`PUT /api/v1/customers/{identifier}`: create or update a person."""
    if not identifier.strip():
        raise InvalidInput("id attribute must be present", field="id")
    person = _path_person(identifier, limits)
    attributes = {k: v for k, v in body.items() if k not in _IDENTIFY_CONTROL_KEYS}
    check_attributes(attributes, limits)
    attributes_at = body.get("_timestamp")
    add_relationships, delete_relationships = v1_relationships(body.get("cio_relationships"), limits=limits)
    return Identify(
        received_at=received_at,
        person=person,
        traits=replace_preferences(attributes),
        anonymous_id=_anonymous_id(body, limits),
        attributes_at=parse_unix_timestamp(attributes_at, "_timestamp") if attributes_at not in (None, "") else None,
        update_only=_truthy(body.get("_update")),
        add_relationships=add_relationships,
        delete_relationships=delete_relationships,
    )


def check_attributes(attributes: dict[str, Any], limits: IngestLimits) -> None:
    """Customer.io's per-call limits on a person's attributes: count, name length, value size."""
    if "id" in attributes:
        _check_id_attribute(attributes["id"], limits)
    if len(attributes) > limits.attributes_per_call:
        raise LimitExceeded(
            f"cannot identify more than {limits.attributes_per_call} attributes in one request", field="attributes"
        )
    for name, value in attributes.items():
        if len(name.encode()) > limits.attribute_name_bytes:
            raise LimitExceeded(f"attribute name cannot be longer than {limits.attribute_name_bytes} bytes", field=name)
        if _size(value) > limits.attribute_value_bytes:
            raise LimitExceeded(
                f"value for attribute '{name}' cannot be longer than {limits.attribute_value_bytes} bytes", field=name
            )


def customer_event(
    identifier: str, body: dict[str, Any], *, received_at: datetime, limits: IngestLimits
) -> Track:
    """`POST /api/v1/customers/{identifier}/events`: an event, page view or screen view."""
    return event_message(body, person=_path_person(identifier, limits), anonymous_id=None, received_at=received_at, limits=limits)


def anonymous_event(body: dict[str, Any], *, received_at: datetime, limits: IngestLimits) -> Track:
    """`POST /api/v1/events`: an event with no person, merged later by its `anonymous_id`."""
    anonymous_id = _anonymous_id(body, limits)
    return event_message(body, person=None, anonymous_id=anonymous_id, received_at=received_at, limits=limits)


def upsert_device(identifier: str, body: dict[str, Any], *, received_at: datetime, limits: IngestLimits) -> UpsertDevice:
    """`PUT /api/v1/customers/{identifier}/devices`; device keys other than the known ones are attributes."""
    device = body.get("device")
    if not isinstance(device, dict):
        raise InvalidInput("device is required and must be an object", field="device")
    token = device.get("id")
    if not isinstance(token, str) or not token.strip():
        raise InvalidInput("device id cannot be blank", field="device.id")
    platform = device.get("platform")
    if not isinstance(platform, str) or platform not in _PLATFORMS:
        raise InvalidInput("device platform must be one of: ios, android", field="device.platform")
    attributes = device.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise InvalidInput("device attributes must be a hash", field="device.attributes")
    extra = {k: v for k, v in device.items() if k not in {"id", "platform", "last_used", "attributes"}}
    last_used = device.get("last_used")
    return UpsertDevice(
        received_at=received_at,
        person=_path_person(identifier, limits),
        token=token,
        platform=platform,
        last_used=parse_unix_timestamp(last_used, "device.last_used") if last_used not in (None, "") else None,
        attributes={**extra, **attributes},
    )


def delete_device(identifier: str, token: str, *, received_at: datetime, limits: IngestLimits) -> DeleteDevice:
    if not token.strip():
        raise InvalidInput("device id cannot be blank", field="device_id")
    if "\x00" in token:
        raise InvalidInput("device id cannot contain null characters (\\u0000)", field="device_id")
    return DeleteDevice(received_at=received_at, person=_path_person(identifier, limits), token=token)


def delete_customer(identifier: str, *, received_at: datetime, limits: IngestLimits) -> DeletePerson:
    return DeletePerson(received_at=received_at, person=_path_person(identifier, limits))


def suppress(identifier: str, *, received_at: datetime, limits: IngestLimits) -> SuppressPerson:
    return SuppressPerson(received_at=received_at, person=_path_person(identifier, limits))


def unsuppress(identifier: str, *, received_at: datetime, limits: IngestLimits) -> UnsuppressPerson:
    return UnsuppressPerson(received_at=received_at, person=_path_person(identifier, limits))


def merge_customers(body: dict[str, Any], *, received_at: datetime, limits: IngestLimits) -> Merge:
    """`POST /api/v1/merge_customers`: each side names a person by exactly one of id, email, cio_id."""
    return Merge(
        received_at=received_at,
        primary=_merge_side(body.get("primary"), "primary", limits),
        secondary=_merge_side(body.get("secondary"), "secondary", limits),
    )


def _merge_side(side: Any, name: str, limits: IngestLimits) -> PersonRef:
    if isinstance(side, dict) and len(side) > 1:
        raise InvalidInput(f"{name} must have exactly one of id, email or cio_id", field=name)
    return person_identifiers(side, field=name, limits=limits)


def event_message(
    body: dict[str, Any], *, person: PersonRef | None, anonymous_id: str | None, received_at: datetime, limits: IngestLimits
) -> Track:
    """An event, page view or screen view from a v1 body: `name`, `data`, `type`, `timestamp`, `id`."""
    name = body.get("name")
    if not isinstance(name, (str, int, float)) or isinstance(name, bool) or not str(name).strip():
        raise InvalidInput("event name must not be blank", field="name")
    name = str(name).strip()
    if len(name.encode()) > limits.event_name_bytes:
        raise LimitExceeded(f"event name cannot be longer than {limits.event_name_bytes} bytes", field="name")
    data = body.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput('event data must be a hash (e.g., send "data":{} instead of "data":"")', field="data")
    if _size(data) > limits.event_data_bytes:
        raise LimitExceeded(f"event data cannot be longer than {limits.event_data_bytes} bytes", field="data")
    kind = body.get("type") or "event"
    if not isinstance(kind, str) or kind not in _EVENT_TYPES:
        raise InvalidInput("type must be one of: event, page, screen", field="type")
    event_id = body.get("id")
    if event_id is not None and (not isinstance(event_id, str) or not event_id or len(event_id) > limits.identifier_chars):
        raise InvalidInput("event id must be a ULID string", field="id")
    timestamp = body.get("timestamp")
    return _EVENT_TYPES[kind](
        received_at=received_at,
        person=person,
        anonymous_id=anonymous_id,
        name=name,
        properties=data,
        timestamp=parse_unix_timestamp(timestamp, "timestamp") if timestamp not in (None, "") else None,
        event_id=event_id,
    )


def _path_person(identifier: str, limits: IngestLimits) -> PersonRef:
    if not identifier.strip():
        raise InvalidInput("identifier cannot be blank", field="identifier")
    if len(identifier) > limits.identifier_chars:
        raise LimitExceeded(f"identifier cannot be longer than {limits.identifier_chars} characters", field="identifier")
    # PostgreSQL text cannot hold U+0000, so such an identifier could never be stored.
    if "\x00" in identifier:
        raise InvalidInput("identifier cannot contain null characters (\\u0000)", field="identifier")
    return PersonRef(user_id=identifier)


def _anonymous_id(body: dict[str, Any], limits: IngestLimits) -> str | None:
    value = body.get("anonymous_id")
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InvalidInput("anonymous_id must be a string", field="anonymous_id")
    value = str(value)
    if len(value) > limits.identifier_chars:
        raise LimitExceeded(f"anonymous_id cannot be longer than {limits.identifier_chars} characters", field="anonymous_id")
    return value


def _check_id_attribute(value: Any, limits: IngestLimits) -> None:
    if not isinstance(value, str):
        raise InvalidInput("id attribute must be a string value", field="id")
    if value == "":
        raise InvalidInput("id attribute cannot be an empty string", field="id")
    if len(value) > limits.identifier_chars:
        raise LimitExceeded(f"id attribute cannot be longer than {limits.identifier_chars} characters", field="id")


def parse_unix_timestamp(value: Any, field: str) -> datetime:
    """Unix seconds, as a number or a numeric string; milliseconds and dates are refused."""
    try:
        seconds = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError, OverflowError):
        seconds = float("nan")
    if not 0 <= seconds < 100_000_000_000:
        raise InvalidInput(f"{field} must be a unix timestamp in seconds", field=field)
    return from_unix(seconds)


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in {"true", "1"}) or value == 1


def _size(value: Any) -> int:
    return len(value.encode()) if isinstance(value, str) else len(_encode(value))


# `POST /api/v1/metrics` takes these (per channel, a subset); `/api/v1/push/events` the push ones.
_METRICS = frozenset({"bounced", "clicked", "converted", "deferred", "delivered", "dropped", "opened", "spammed"})
_PUSH_EVENTS = frozenset({"opened", "converted", "delivered"})


def delivery_metric(body: dict[str, Any], *, received_at: datetime, limits: IngestLimits) -> ReportDelivery:
    """`POST /api/v1/metrics`: a metric for a delivery sent elsewhere than the SDKs report from."""
    metric = body.get("metric")
    if metric not in _METRICS:
        raise InvalidInput(f"metric must be one of: {', '.join(sorted(_METRICS))}", field="metric")
    details = {k: body[k] for k in ("reason", "href") if isinstance(body.get(k), str) and body[k]}
    recipient = body.get("recipient")
    return _report(body, metric, recipient=None if recipient is None else str(recipient), details=details, received_at=received_at)


def push_event(body: dict[str, Any], *, received_at: datetime, limits: IngestLimits) -> ReportDelivery:
    """`POST /api/v1/push/events`: a push metric from a device (the legacy SDKs' path)."""
    event = body.get("event")
    if event not in _PUSH_EVENTS:
        raise InvalidInput("event must be one of: converted, delivered, opened", field="event")
    device = body.get("device_id")
    return _report(body, event, recipient=device if isinstance(device, str) else None, details={}, received_at=received_at)


def _report(
    body: dict[str, Any], metric: str, *, recipient: str | None, details: dict[str, Any], received_at: datetime
) -> ReportDelivery:
    delivery_id = body.get("delivery_id")
    if not isinstance(delivery_id, str) or not delivery_id.strip() or "\x00" in delivery_id:
        raise InvalidInput("delivery_id is required", field="delivery_id")
    timestamp = body.get("timestamp")
    return ReportDelivery(
        received_at=received_at,
        delivery_id=delivery_id.strip(),
        metric=metric,
        recipient=recipient,
        timestamp=parse_unix_timestamp(timestamp, "timestamp") if timestamp not in (None, "") else None,
        details=details,
    )


MAX_SEGMENT_IDS = 1000
_ID_TYPES = ("id", "email", "cio_id")


def segment_change(
    segment_id: int, body: dict[str, Any], *, id_type: str, is_add: bool, received_at: datetime, limits: IngestLimits
) -> ChangeSegment:
    """`POST /api/v1/segments/{id}/add_customers` and `/remove_customers`: up to 1000 ids of one kind."""
    if id_type not in _ID_TYPES:
        raise InvalidInput("id_type must be one of: id, email, cio_id", field="id_type")
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        raise InvalidInput("ids is required and must be a non-empty array", field="ids")
    if len(ids) > MAX_SEGMENT_IDS:
        raise LimitExceeded(f"ids cannot have more than {MAX_SEGMENT_IDS} entries", field="ids")
    refs = [
        PersonRef(**{id_type: str(value)})
        for value in ids
        # Customer.io ignores entries that cannot be identifiers of the kind named.
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip()
        and len(str(value)) <= limits.identifier_chars and "\x00" not in str(value)
    ]
    return ChangeSegment(
        received_at=received_at, segment_id=segment_id, add=refs if is_add else [], remove=[] if is_add else refs
    )
