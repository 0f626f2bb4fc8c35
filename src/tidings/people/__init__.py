"""People: identity resolution, attributes, events, devices, merges, deletion and suppression."""

from tidings.people.attributes import is_unsubscribed
from tidings.people.deletion import delete_person, suppress_person, unsuppress_person
from tidings.people.devices import MAX_DEVICES, delete_device, upsert_device
from tidings.people.errors import IdentifierConflict, IdentifierSuppressed, PersonNotFound
from tidings.people.events import (
    ANONYMOUS_RETENTION,
    EventRun,
    merge_anonymous_events,
    purge_expired_anonymous_events,
    record_event,
)
from tidings.people.identifiers import email_key, looks_like_email, resolve_user_id
from tidings.people.identify import find_or_create_person, identify
from tidings.people.merge import merge_people
from tidings.people.queries import find_person, list_activities, list_devices, people_with_email
from tidings.people.types import Activity, ActivityType, Device, EventType, IdentifierKind, Person, ResolvedRef

__all__ = [
    "ANONYMOUS_RETENTION",
    "MAX_DEVICES",
    "Activity",
    "ActivityType",
    "Device",
    "EventRun",
    "EventType",
    "IdentifierConflict",
    "IdentifierKind",
    "IdentifierSuppressed",
    "Person",
    "PersonNotFound",
    "ResolvedRef",
    "delete_device",
    "delete_person",
    "email_key",
    "find_or_create_person",
    "find_person",
    "identify",
    "is_unsubscribed",
    "list_activities",
    "list_devices",
    "looks_like_email",
    "merge_anonymous_events",
    "merge_people",
    "people_with_email",
    "purge_expired_anonymous_events",
    "record_event",
    "resolve_user_id",
    "suppress_person",
    "unsuppress_person",
    "upsert_device",
]
