"""People: identity resolution, attributes, events, devices, merges, deletion and suppression,
and the objects people relate to."""

from tidings.people.activity import record_activities, record_activity
from tidings.people.attributes import is_unsubscribed
from tidings.people.deletion import delete_person, suppress_person, unsuppress_person
from tidings.people.departures import Departures
from tidings.people.devices import (
    MAX_DEVICES,
    delete_anonymous_device,
    delete_device,
    upsert_anonymous_device,
    upsert_device,
)
from tidings.people.errors import (
    IdentifierConflict,
    IdentifierSuppressed,
    ObjectNotFound,
    ObjectTypeNotFound,
    PersonNotFound,
)
from tidings.people.anonymous import ANONYMOUS_RETENTION, anonymous_merge, late_joiner
from tidings.people.events import (
    EventRun,
    merge_anonymous_events,
    purge_expired_anonymous_events,
    record_event,
)
from tidings.people.identifiers import email_key, looks_like_email, new_event_id, resolve_user_id
from tidings.people.identify import IdentifyRun, find_or_create_person, identify
from tidings.people.merge import merge_people
from tidings.people.object_queries import list_object_relationships, list_object_types, list_person_relationships
from tidings.people.objects import (
    MAX_AUTO_CREATED_OBJECT_TYPES,
    MAX_OBJECT_ATTRIBUTE_BYTES,
    delete_object,
    find_object,
    identify_object,
    relate,
    relate_anonymous,
    unrelate,
)
from tidings.people.activity_queries import list_activities, list_anonymous_events
from tidings.people.device_queries import list_anonymous_devices, list_devices
from tidings.people.queries import find_people, find_person, people_with_email
from tidings.people.types import (
    Activity,
    ActivityType,
    Device,
    EventType,
    IdentifierKind,
    NewActivity,
    Object,
    ObjectKey,
    ObjectRelationship,
    ObjectType,
    Person,
    PersonRelationship,
    ResolvedRef,
)

__all__ = [
    "ANONYMOUS_RETENTION",
    "MAX_AUTO_CREATED_OBJECT_TYPES",
    "MAX_DEVICES",
    "MAX_OBJECT_ATTRIBUTE_BYTES",
    "Activity",
    "ActivityType",
    "Departures",
    "Device",
    "EventRun",
    "EventType",
    "IdentifierConflict",
    "IdentifierKind",
    "IdentifierSuppressed",
    "IdentifyRun",
    "NewActivity",
    "Object",
    "ObjectKey",
    "ObjectNotFound",
    "ObjectRelationship",
    "ObjectType",
    "ObjectTypeNotFound",
    "Person",
    "PersonNotFound",
    "PersonRelationship",
    "ResolvedRef",
    "anonymous_merge",
    "delete_anonymous_device",
    "delete_device",
    "delete_object",
    "delete_person",
    "email_key",
    "find_object",
    "find_or_create_person",
    "find_people",
    "find_person",
    "identify",
    "identify_object",
    "is_unsubscribed",
    "late_joiner",
    "list_activities",
    "list_anonymous_events",
    "list_anonymous_devices",
    "list_devices",
    "list_object_relationships",
    "list_object_types",
    "list_person_relationships",
    "looks_like_email",
    "new_event_id",
    "merge_anonymous_events",
    "merge_people",
    "people_with_email",
    "purge_expired_anonymous_events",
    "record_activities",
    "record_activity",
    "record_event",
    "relate",
    "relate_anonymous",
    "resolve_user_id",
    "suppress_person",
    "unrelate",
    "unsuppress_person",
    "upsert_anonymous_device",
    "upsert_device",
]
