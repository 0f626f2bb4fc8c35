"""People, their devices and their activity, as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Activity",
    "ActivityType",
    "Device",
    "EventType",
    "IdentifierKind",
    "NewActivity",
    "Object",
    "ObjectKey",
    "ObjectRelationship",
    "ObjectType",
    "Person",
    "PersonRelationship",
    "ResolvedRef",
]


class IdentifierKind(StrEnum):
    ID = "id"
    EMAIL = "email"
    CIO_ID = "cio_id"


class EventType(StrEnum):
    EVENT = "event"
    PAGE = "page"
    SCREEN = "screen"


class ActivityType(StrEnum):
    ATTRIBUTE_CHANGE = "attribute_change"
    FAILED_ATTRIBUTE_CHANGE = "failed_attribute_change"
    PROFILE_MERGE = "profile_merge"
    ANONYMOUS_MERGE = "anonymous_merge"
    DEVICE_UPDATE = "device_update"
    DEVICE_DELETE = "device_delete"
    RELATIONSHIP_ADD = "relationship_add"
    RELATIONSHIP_DELETE = "relationship_delete"


@dataclass(frozen=True, slots=True)
class ResolvedRef:
    """One identifier whose kind is known."""

    kind: IdentifierKind
    value: str


@dataclass(frozen=True, slots=True)
class Person:
    cio_id: str
    id: str | None
    email: str | None
    attributes: dict[str, Any]
    # Per attribute (and identifier), the unix time of its last accepted update.
    attribute_timestamps: dict[str, int]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Device:
    token: str
    platform: str
    last_used: datetime
    last_status: str
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Activity:
    """One line of a person's activity log: an event, a page or screen view, or a change."""

    key: str
    type: str
    name: str | None
    data: dict[str, Any]
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class NewActivity:
    """A line to add to a person's activity from outside the people domain: a delivery was sent,
    opened, clicked... `type` names the kind, as Customer.io's activity types do (`sent_email`)."""

    workspace_id: int
    cio_id: str
    type: str
    name: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObjectKey:
    """How a call names an object: by type and object_id, or by the generated cio_object_id."""

    type_id: int = 1
    object_id: str | None = None
    cio_object_id: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectType:
    type_id: int
    name: str
    singular_name: str
    liquid_identifier: str
    is_enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Object:
    """A non-person entity (a company, an account, a course) that people relate to."""

    cio_object_id: str
    type_id: int
    object_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PersonRelationship:
    """One of a person's relationships, seen from the person: the object and the relationship's attributes."""

    object: Object
    attributes: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ObjectRelationship:
    """One of an object's relationships, seen from the object: the person's identifiers and the attributes."""

    cio_id: str
    id: str | None
    email: str | None
    attributes: dict[str, Any]
    created_at: datetime
