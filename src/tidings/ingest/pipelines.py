"""Pipelines (Segment-spec) calls → canonical messages, as Customer.io's Journeys destination applies them.

`translate` takes one decoded call (identify, track, page, screen, alias, group) and returns the
messages to log: none for a call Journeys ignores (an anonymous identify), usually one. Semantic
track events ("Device Created or Updated", "User Deleted", "Object Deleted", "Report Delivery
Event", ...) become platform operations; a group call updates an object and relates the caller to
it. `batch_calls` opens a `/v1/batch` body. Errors are InvalidInput, in the words of Customer.io's
strict mode.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tidings.clock import from_unix
from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest.limits import IngestLimits
from tidings.ingest.objects import object_attributes, object_ref, relationship_attributes
from tidings.ingest.preferences import merge_preferences
from tidings.log import (
    DeleteDevice,
    DeleteObject,
    DeletePerson,
    Identify,
    IdentifyObject,
    Merge,
    Message,
    ObjectRef,
    Page,
    PersonRef,
    RelatedObject,
    RelatedPerson,
    ReportDelivery,
    Screen,
    SuppressPerson,
    Track,
    Unrelate,
    UnsuppressPerson,
    UpsertDevice,
)
from tidings.messaging import DELIVERY_METRICS

__all__ = ["CALL_TYPES", "batch_calls", "translate"]

CALL_TYPES = frozenset({"identify", "track", "page", "screen", "alias", "group"})
_EVENT_MESSAGES: dict[str, type[Track]] = {"track": Track, "page": Page, "screen": Screen}
_PLATFORMS = frozenset({"ios", "android"})
_DEVICE_KEYS = frozenset({"token", "type", "id", "last_used"})

# Semantic events (spec-apis.md §5.1), with the other names the docs use for them.
_DEVICE_UPSERT = frozenset({"Device Created or Updated", "Device Added or Updated"})
_DEVICE_DELETE = frozenset({"Device Deleted"})
_PERSON_DELETE = frozenset({"User Deleted", "Delete Person"})
_PERSON_SUPPRESS = frozenset({"User Suppressed", "Suppress Person"})
_PERSON_UNSUPPRESS = frozenset({"User Unsuppressed", "Unsuppress Person"})
_OBJECT_DELETE = frozenset({"Object Deleted", "Delete Object", "Group Deleted"})
_RELATIONSHIP_DELETE = frozenset({"Relationship Deleted", "Delete Relationship"})
_DELIVERY_REPORT = frozenset({"Report Delivery Event"})
# In-app content reports feed a product tidings does not have yet; they are not stored as events.
_IGNORED = frozenset({"Report Content Event"})
# The app lifecycle events also maintain the device named in `context.device`.
_APP_DEVICE_UPSERT = frozenset({"Application Installed", "Application Opened"})
_APP_DEVICE_DELETE = frozenset({"Application Uninstalled"})
# Traits that steer a group or identify call rather than set object or person attributes.
_OBJECT_TYPE_KEYS = ("objectTypeId", "object_type_id")
_RELATIONSHIP_KEYS = ("relationshipAttributes", "relationship_traits", "relationshipTraits")
_IDENTIFY_OBJECT_KEYS = frozenset({"objectId", "object_id", *_OBJECT_TYPE_KEYS, *_RELATIONSHIP_KEYS})
_DELIVERY_DETAIL_KEYS = ("href", "reason", "actionName", "actionValue")
_LIMITS = IngestLimits()


def batch_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The calls of a `/v1/batch` body, each with the batch's `sentAt` when it has none of its own."""
    calls = body.get("batch")
    if not isinstance(calls, list):
        raise InvalidInput("batch is required and must be an array", field="batch")
    sent_at = body.get("sentAt")
    opened: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        if not isinstance(call, dict):
            raise InvalidInput(f"batch[{index}] must be an object", field=f"batch[{index}]")
        opened.append(call if sent_at is None or "sentAt" in call else {**call, "sentAt": sent_at})
    return opened


def translate(call: dict[str, Any], *, received_at: datetime, call_type: str | None = None) -> list[Message]:
    """The messages for one call; `call_type` is the endpoint's, else the call's own `type`."""
    kind = call_type or call.get("type")
    if not isinstance(kind, str) or kind not in CALL_TYPES:
        raise InvalidInput("type must be one of: identify, track, page, screen, group, alias", field="type")
    user_id = _identifier(call, "userId")
    anonymous_id = _identifier(call, "anonymousId")
    message_id = _message_id(call)
    person = PersonRef(user_id=user_id) if user_id is not None else None
    if kind == "group":
        return [_group(call, person=person, received_at=received_at, message_id=message_id)]
    if user_id is None and anonymous_id is None:
        raise InvalidInput("userId or anonymousId is required", field="userId")
    if kind == "identify":
        if person is None:
            return []  # Journeys ignores anonymous identify calls
        traits = _identify_traits(call)
        return [
            Identify(
                received_at=received_at,
                message_id=message_id,
                person=person,
                traits=merge_preferences({k: v for k, v in traits.items() if k not in _IDENTIFY_OBJECT_KEYS}),
                anonymous_id=anonymous_id,
                add_relationships=_identify_relationships(traits),
            )
        ]
    if kind == "alias":
        previous_id = _identifier(call, "previousId")
        if previous_id is None:
            raise InvalidInput("previousId is required", field="previousId")
        if person is None:
            return []  # only a known person can absorb another
        return [
            Merge(
                received_at=received_at,
                message_id=message_id,
                primary=person,
                secondary=PersonRef(user_id=previous_id),
            )
        ]
    properties = _object(call.get("properties"), "properties")
    timestamp = _event_time(call, received_at=received_at)
    if kind == "track":
        name = _name(call.get("event"), "event")
        if name is None:
            raise InvalidInput("event is required", field="event")
        if name in _IGNORED:
            return []
        semantic = _semantic(
            name,
            call,
            properties,
            person=person,
            anonymous_id=anonymous_id,
            received_at=received_at,
            message_id=message_id,
            timestamp=timestamp,
        )
        if semantic is not None:
            return [semantic]
    else:
        name = _name(call.get("name"), "name")
        if name is None and kind == "page":
            name = _name(properties.get("url"), "properties.url") or _name(properties.get("path"), "properties.path")
        if name is None:
            raise InvalidInput("name is required", field="name")
    if len(name.encode()) > _LIMITS.event_name_bytes:
        raise LimitExceeded(f"event name cannot be longer than {_LIMITS.event_name_bytes} bytes", field="event")
    event = _EVENT_MESSAGES[kind](
        received_at=received_at,
        message_id=message_id,
        person=person,
        anonymous_id=anonymous_id if person is None else None,
        name=name,
        properties=properties,
        timestamp=timestamp,
    )
    device = (
        _app_device_change(name, call, person=person, anonymous_id=anonymous_id, received_at=received_at)
        if kind == "track"
        else None
    )
    return [event] if device is None else [event, device]


def _group(call: dict[str, Any], *, person: PersonRef | None, received_at: datetime, message_id: str | None) -> Message:
    """A group call: the object `groupId` names gets the traits, and the caller (if identified) a
    relationship to it. Without a userId only the object changes, as at Customer.io."""
    group_id = _identifier(call, "groupId")
    if group_id is None:
        raise InvalidInput("groupId is required", field="groupId")
    traits = _object(call.get("traits"), "traits")
    type_key = next((k for k in _OBJECT_TYPE_KEYS if k in traits), None)
    ref = object_ref(
        {"object_id": group_id, "object_type_id": call.get("objectTypeId", traits.get(type_key) if type_key else None)},
        field="traits",
        limits=_LIMITS,
    )
    relationship = _relationship_traits(traits)
    attributes = {k: v for k, v in traits.items() if k not in _OBJECT_TYPE_KEYS and k not in _RELATIONSHIP_KEYS}
    return IdentifyObject(
        received_at=received_at,
        message_id=message_id,
        object=ref,
        attributes=object_attributes(attributes, field="traits"),
        add_relationships=[] if person is None else [RelatedPerson(person=person, attributes=relationship)],
    )


def _identify_relationships(traits: dict[str, Any]) -> list[RelatedObject]:
    """An identify may relate the person to an object with `objectId`, `objectTypeId` and relationship traits."""
    if traits.get("objectId", traits.get("object_id")) in (None, ""):
        return []
    ref = object_ref(traits, field="traits", limits=_LIMITS)
    return [RelatedObject(object=ref, attributes=_relationship_traits(traits))]


def _relationship_traits(traits: dict[str, Any]) -> dict[str, Any]:
    """Relationship attributes, under any of the three names Customer.io's docs use."""
    key = next((k for k in _RELATIONSHIP_KEYS if k in traits), None)
    return relationship_attributes(traits.get(key) if key else None, field=f"traits.{key}")


def _app_device_change(
    name: str, call: dict[str, Any], *, person: PersonRef | None, anonymous_id: str | None, received_at: datetime
) -> Message | None:
    """The device change an app lifecycle event implies, when it carries a device token.

    It has no message id: the event it comes with carries the call's, and applying it twice is harmless.
    """
    if name not in _APP_DEVICE_UPSERT and name not in _APP_DEVICE_DELETE:
        return None
    device = _object(_object(call.get("context"), "context").get("device"), "context.device")
    token = _first_text(device.get("token"))
    if token is None:
        return None
    owner = _device_owner(person, anonymous_id)
    if name in _APP_DEVICE_DELETE:
        return DeleteDevice(received_at=received_at, token=token, **owner)
    platform = (_first_text(device.get("type")) or "").lower()
    if platform not in _PLATFORMS:
        return None
    return UpsertDevice(received_at=received_at, token=token, platform=platform, **owner)


def _device_owner(person: PersonRef | None, anonymous_id: str | None) -> dict[str, Any]:
    """Whose device a call changes: the person's, or before identify, the anonymous id's (mobile
    SDKs register the push token as soon as they have one, signed in or not)."""
    return {"person": person} if person is not None else {"anonymous_id": anonymous_id}


def _semantic(
    name: str,
    call: dict[str, Any],
    properties: dict[str, Any],
    *,
    person: PersonRef | None,
    anonymous_id: str | None,
    received_at: datetime,
    message_id: str | None,
    timestamp: datetime | None,
) -> Message | None:
    """The platform operation a semantic event names, or None for an ordinary event."""
    if name in _OBJECT_DELETE:
        ref = _event_object(properties)
        return DeleteObject(received_at=received_at, message_id=message_id, object=ref)
    if name in _RELATIONSHIP_DELETE:
        ref = _event_object(properties)
        return Unrelate(
            received_at=received_at, message_id=message_id, person=_person_or_email(person, properties, name), objects=[ref]
        )
    if name in _DELIVERY_REPORT:
        return _delivery_report(properties, received_at=received_at, message_id=message_id, timestamp=timestamp)
    if name in _PERSON_DELETE:
        return DeletePerson(
            received_at=received_at, message_id=message_id, person=_person_or_email(person, properties, name)
        )
    if name in _PERSON_SUPPRESS:
        return SuppressPerson(received_at=received_at, message_id=message_id, person=_known(person, name))
    if name in _PERSON_UNSUPPRESS:
        return UnsuppressPerson(received_at=received_at, message_id=message_id, person=_known(person, name))
    if name not in _DEVICE_UPSERT and name not in _DEVICE_DELETE:
        return None
    context_device = _object(_object(call.get("context"), "context").get("device"), "context.device")
    property_device = _object(properties.get("device"), "properties.device")
    token = _first_text(context_device.get("token"), property_device.get("token"))
    if token is None:
        raise InvalidInput("device token is required (context.device.token)", field="context.device.token")
    if name in _DEVICE_DELETE:
        return DeleteDevice(
            received_at=received_at, message_id=message_id, token=token, **_device_owner(person, anonymous_id)
        )
    platform = (_first_text(context_device.get("type"), property_device.get("type")) or "").lower()
    if platform not in _PLATFORMS:
        raise InvalidInput("device type must be one of: ios, android", field="context.device.type")
    last_used = property_device.get("last_used", properties.get("last_used"))
    attributes = {k: v for k, v in properties.items() if k not in {"device", "last_used"}}
    attributes.update({k: v for k, v in property_device.items() if k not in _DEVICE_KEYS})
    return UpsertDevice(
        received_at=received_at,
        message_id=message_id,
        token=token,
        platform=platform,
        last_used=_moment(last_used, "properties.device.last_used") if last_used not in (None, "") else None,
        attributes=attributes,
        **_device_owner(person, anonymous_id),
    )


def _event_object(properties: dict[str, Any]) -> ObjectRef:
    """The object an "Object Deleted" or "Relationship Deleted" event names in its properties."""
    return object_ref(
        {
            "object_id": properties.get("objectId", properties.get("object_id")),
            "object_type_id": properties.get("objectTypeId", properties.get("object_type_id")),
        },
        field="properties",
        limits=_LIMITS,
    )


def _delivery_report(
    properties: dict[str, Any], *, received_at: datetime, message_id: str | None, timestamp: datetime | None
) -> ReportDelivery:
    delivery_id = _first_text(properties.get("deliveryId"), properties.get("delivery_id"))
    if delivery_id is None:
        raise InvalidInput("properties.deliveryId is required", field="properties.deliveryId")
    metric = (_first_text(properties.get("metric")) or "").lower()
    if metric not in DELIVERY_METRICS:
        raise InvalidInput(
            f"properties.metric must be one of: {', '.join(sorted(DELIVERY_METRICS))}", field="properties.metric"
        )
    return ReportDelivery(
        received_at=received_at,
        message_id=message_id,
        delivery_id=delivery_id,
        metric=metric,
        recipient=_first_text(properties.get("recipient")),
        timestamp=timestamp,
        details={k: properties[k] for k in _DELIVERY_DETAIL_KEYS if properties.get(k) not in (None, "")},
    )


def _person_or_email(person: PersonRef | None, properties: dict[str, Any], event: str) -> PersonRef:
    """The caller, or for events that allow it, the person `properties.email` names."""
    email = properties.get("email")
    if person is None and isinstance(email, str) and email.strip():
        person = PersonRef(email=email.strip())
    return _known(person, event)


def _known(person: PersonRef | None, event: str) -> PersonRef:
    if person is None:
        raise InvalidInput(f"userId is required for {event}", field="userId")
    return person


def _event_time(call: dict[str, Any], *, received_at: datetime) -> datetime | None:
    """`timestamp` when given, else `receivedAt - (sentAt - originalTimestamp)`, else None (server time)."""
    if call.get("timestamp") not in (None, ""):
        return _moment(call["timestamp"], "timestamp")
    original, sent = call.get("originalTimestamp"), call.get("sentAt")
    if original in (None, "") or sent in (None, ""):
        return None
    return received_at - (_moment(sent, "sentAt") - _moment(original, "originalTimestamp"))


def _moment(value: Any, field: str) -> datetime:
    """An ISO-8601 date or date-time (UTC when no offset), or unix seconds as a number or numeric string."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _unix(value, field)
    if isinstance(value, str):
        text = value.strip()
        if ":" not in text:  # float() never accepts a colon, which every ISO-8601 time has
            try:
                return _unix(float(text), field)
            except ValueError:
                pass
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{field} must be an ISO-8601 date or a unix timestamp", field=field) from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    raise InvalidInput(f"{field} must be an ISO-8601 date or a unix timestamp", field=field)


def _unix(seconds: float, field: str) -> datetime:
    # The iOS SDK notes that a bare integer is read as milliseconds; no date in seconds is this large.
    if seconds >= 100_000_000_000:
        seconds /= 1000
    if not 0 <= seconds < 100_000_000_000:
        raise InvalidInput(f"{field} must be an ISO-8601 date or a unix timestamp", field=field)
    return from_unix(seconds)


def _identifier(call: dict[str, Any], field: str) -> str | None:
    """A string or number identifier; absent, null and blank are None."""
    value = call.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidInput(f"{field} must be a string", field=field)
    text = str(value).strip() if isinstance(value, str) else str(value)
    if not text:
        return None
    if len(text) > _LIMITS.identifier_chars:
        raise LimitExceeded(f"{field} cannot be longer than {_LIMITS.identifier_chars} characters", field=field)
    return text


def _message_id(call: dict[str, Any]) -> str | None:
    value = call.get("messageId")
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > _LIMITS.identifier_chars:
        raise InvalidInput(
            f"messageId must be a string of at most {_LIMITS.identifier_chars} characters", field="messageId"
        )
    return value


def _identify_traits(call: dict[str, Any]) -> dict[str, Any]:
    """The traits of an identify; RudderStack's SDKs send them in `context.traits`, not at the root."""
    context = _object(call.get("context"), "context")
    in_context = _object(context.get("traits"), "context.traits")
    return _traits({**in_context, **_object(call.get("traits"), "traits")})


def _traits(value: Any) -> dict[str, Any]:
    traits = _object(value, "traits")
    if "id" in traits and not isinstance(traits["id"], str):
        raise InvalidInput("traits.id must be a string", field="traits.id")
    if len(traits) > _LIMITS.attributes_per_call:
        raise LimitExceeded(
            f"cannot identify more than {_LIMITS.attributes_per_call} traits in one call", field="traits"
        )
    return traits


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be an object", field=field)
    return value


def _name(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidInput(f"{field} must be a string", field=field)
    return str(value).strip() or None


def _first_text(*values: Any) -> str | None:
    return next((v.strip() for v in values if isinstance(v, str) and v.strip()), None)
