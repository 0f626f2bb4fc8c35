"""People, their devices and their activity, as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Activity", "ActivityType", "Device", "EventType", "IdentifierKind", "Person", "ResolvedRef"]


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
