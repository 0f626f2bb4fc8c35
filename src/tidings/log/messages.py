"""The canonical message: what every entry point turns its wire format into.

Shaped after the Segment spec (identify, track, page, screen, alias, group) plus the platform
operations Customer.io has (delete, suppress, unsuppress, devices, objects and relationships). Nothing downstream of the log knows which
API a message came from. Messages are msgspec Structs so the log stores them as compact JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

__all__ = [
    "DeleteDevice",
    "DeleteObject",
    "DeletePerson",
    "Identify",
    "IdentifyObject",
    "Merge",
    "Message",
    "ObjectRef",
    "Page",
    "PersonRef",
    "Relate",
    "RelatedAnonymous",
    "RelatedObject",
    "RelatedPerson",
    "ReportDelivery",
    "Screen",
    "SendMessage",
    "ChangeSegment",
    "SuppressPerson",
    "Track",
    "Unrelate",
    "UnrelateObject",
    "UnsuppressPerson",
    "UpsertDevice",
    "decode_message",
    "encode_message",
]


class PersonRef(msgspec.Struct, frozen=True, omit_defaults=True):
    """How a message names a person.

    `user_id` is a value whose kind the workspace decides when the message is applied: `cio_<id>`
    names a cio_id, an address names an email where email is an identifier, anything else an id.
    """

    cio_id: str | None = None
    id: str | None = None
    email: str | None = None
    user_id: str | None = None


class ObjectRef(msgspec.Struct, frozen=True, omit_defaults=True):
    """How a message names an object: its type and object_id, or its cio_object_id."""

    type_id: int = 1
    object_id: str | None = None
    cio_object_id: str | None = None


class RelatedObject(msgspec.Struct, frozen=True, omit_defaults=True):
    """A relationship seen from the person: the object, and the relationship's attributes."""

    object: ObjectRef
    attributes: dict[str, Any] = {}


class RelatedPerson(msgspec.Struct, frozen=True, omit_defaults=True):
    """A relationship seen from the object: the person, and the relationship's attributes."""

    person: PersonRef
    attributes: dict[str, Any] = {}


class RelatedAnonymous(msgspec.Struct, frozen=True, omit_defaults=True):
    """A relationship seen from the object, to someone known only by an anonymous id."""

    anonymous_id: str
    attributes: dict[str, Any] = {}


class _Base(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="type"):
    received_at: datetime
    # The sender's message id (Pipelines `messageId`): a repeat within 12 hours is dropped.
    message_id: str | None = None


class Identify(_Base, tag="identify"):
    person: PersonRef
    traits: dict[str, Any] = {}
    anonymous_id: str | None = None
    # Customer.io's `_timestamp`: when these attribute values were true; older ones lose.
    attributes_at: datetime | None = None
    # Customer.io's `_update`: change an existing person, never create one.
    update_only: bool = False
    # Track v1 `cio_relationships`, and object traits on a Pipelines identify.
    add_relationships: list[RelatedObject] = []
    delete_relationships: list[ObjectRef] = []


class Track(_Base, kw_only=True, tag="track"):
    """An event. A message without `person` is anonymous and waits for a merge."""

    person: PersonRef | None = None
    anonymous_id: str | None = None
    name: str
    properties: dict[str, Any] = {}
    timestamp: datetime | None = None
    # Repeats of an event id are dropped.
    event_id: str | None = None


class Page(Track, tag="page"):
    pass


class Screen(Track, tag="screen"):
    pass


class Merge(_Base, tag="merge"):
    """Customer.io's merge_customers and the Segment alias: `secondary` folds into `primary`."""

    primary: PersonRef
    secondary: PersonRef


class DeletePerson(_Base, tag="delete_person"):
    person: PersonRef


class SuppressPerson(_Base, tag="suppress_person"):
    person: PersonRef


class UnsuppressPerson(_Base, tag="unsuppress_person"):
    person: PersonRef


class UpsertDevice(_Base, kw_only=True, tag="device_upsert"):
    """Add or refresh a person's device, or without `person`, one of `anonymous_id`'s."""

    person: PersonRef | None = None
    anonymous_id: str | None = None
    token: str
    platform: str
    last_used: datetime | None = None
    attributes: dict[str, Any] = {}


class DeleteDevice(_Base, kw_only=True, tag="device_delete"):
    person: PersonRef | None = None
    anonymous_id: str | None = None
    token: str


class IdentifyObject(_Base, tag="object_identify"):
    """Create or update an object, and relate people to it (Pipelines group, Track v2 object identify)."""

    object: ObjectRef
    attributes: dict[str, Any] = {}
    add_relationships: list[RelatedPerson] = []
    # Track v2 `identify_anonymous`: carried over to the person an identify merges the id into.
    add_anonymous_relationships: list[RelatedAnonymous] = []


class DeleteObject(_Base, tag="object_delete"):
    object: ObjectRef


class UnrelateObject(_Base, tag="object_unrelate"):
    """End the relationships of an object with the people named."""

    object: ObjectRef
    people: list[PersonRef]


class Relate(_Base, tag="relate"):
    """Relate a person to objects, creating what is missing."""

    person: PersonRef
    objects: list[RelatedObject]


class Unrelate(_Base, tag="unrelate"):
    person: PersonRef
    objects: list[ObjectRef]


class ReportDelivery(_Base, tag="delivery_report"):
    """A metric a device or app reports about a message it got (opened, delivered, clicked, ...)."""

    delivery_id: str
    metric: str
    recipient: str | None = None
    timestamp: datetime | None = None
    # What else the report carried: href, reason, actionName, actionValue.
    details: dict[str, Any] = {}


class SendMessage(_Base, tag="send_message"):
    """A Transactional API send: the person (created if missing) gets a queued delivery."""

    delivery_id: str
    channel: str
    person: PersonRef
    transactional_message_id: int | None = None
    # The request's fields as validated: recipients, overrides, `message_data`, options.
    request: dict[str, Any] = {}
    send_at: datetime | None = None
    is_draft: bool = False


class ChangeSegment(_Base, tag="segment_change"):
    """Add people to, or remove them from, a manual segment; only existing people are added."""

    segment_id: int
    add: list[PersonRef] = []
    remove: list[PersonRef] = []
    # Customer.io's "Clear Segment": everyone leaves first.
    clear: bool = False


Message = (
    Identify
    | Track
    | Page
    | Screen
    | Merge
    | DeletePerson
    | SuppressPerson
    | UnsuppressPerson
    | UpsertDevice
    | DeleteDevice
    | IdentifyObject
    | DeleteObject
    | UnrelateObject
    | Relate
    | Unrelate
    | ReportDelivery
    | SendMessage
    | ChangeSegment
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Message)


def encode_message(message: Message) -> bytes:
    return _encoder.encode(message)


def decode_message(body: bytes) -> Message:
    return _decoder.decode(body)
