"""What the per-person evaluator reads about a person, and what a condition reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tidings.people import Device, EventType, PersonRelationship
from tidings.segments.patterns import is_name_match

__all__ = ["ChangeCursor", "ChangeKind", "DeliveryFact", "EventFact", "MembershipChange", "PersonFacts", "Reads"]


@dataclass(frozen=True, slots=True)
class EventFact:
    """One event, page view or screen view the person performed."""

    type: EventType
    name: str
    data: Mapping[str, Any]
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class DeliveryFact:
    """One message the person was sent (or was to be sent), as message conditions see it.

    `milestones` holds the unix time each milestone was first reached (sent, delivered, opened,
    clicked, bounced, ...); `clicked_urls` the links clicked, as the tracking reports gave them.
    """

    channel: str
    transactional_message_id: int | None
    milestones: Mapping[str, int]
    clicked_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """Everything a condition can ask about one person, at one moment.

    `created_at` is when tidings created the profile (`_created_in_customerio_at`). Callers may
    load only what a condition reads (`condition_reads`): `events` then holds just the events it
    names. `first_event_at` is the person's earliest event of any name, for the profile-age
    rule; `segment_ids` are the segments the person is in now. `attribute_times` holds the unix
    time each attribute was last updated, for matchtimes.
    """

    cio_id: str
    attributes: Mapping[str, Any]
    created_at: datetime
    id: str | None = None
    email: str | None = None
    events: tuple[EventFact, ...] = ()
    first_event_at: datetime | None = None
    devices: tuple[Device, ...] = ()
    relationships: tuple[PersonRelationship, ...] = ()
    segment_ids: frozenset[int] = frozenset()
    deliveries: tuple[DeliveryFact, ...] = ()
    attribute_times: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reads:
    """The data a condition depends on: which changes can alter its answer.

    Real-time membership re-evaluates a segment only when a change touches what it reads;
    `load_person_facts` loads only this.
    """

    attributes: frozenset[str] = frozenset()
    events: frozenset[tuple[EventType, str]] = frozenset()
    has_devices: bool = False
    object_type_ids: frozenset[int] = frozenset()
    segment_ids: frozenset[int] = frozenset()
    has_messages: bool = False
    # "Not performed in the past N days" also reads the profile's creation and earliest event.
    has_profile_age: bool = False
    # Event conditions with filters read the events' data, not only their names and times.
    has_event_data: bool = False
    # Relative timestamps and event windows change the answer as time passes (see next_change).
    is_time_dependent: bool = False

    def reads_event(self, type: EventType, name: str) -> bool:
        """True when an event of this type and name can change the answer."""
        if self.has_profile_age:
            return True  # any event can be the profile's earliest
        return any(kind is type and is_name_match(pattern, name) for kind, pattern in self.events)

    def reads_attribute(self, name: str) -> bool:
        return name in self.attributes

    def __or__(self, other: Reads) -> Reads:
        return Reads(
            attributes=self.attributes | other.attributes,
            events=self.events | other.events,
            has_devices=self.has_devices or other.has_devices,
            object_type_ids=self.object_type_ids | other.object_type_ids,
            segment_ids=self.segment_ids | other.segment_ids,
            has_messages=self.has_messages or other.has_messages,
            has_profile_age=self.has_profile_age or other.has_profile_age,
            has_event_data=self.has_event_data or other.has_event_data,
            is_time_dependent=self.is_time_dependent or other.is_time_dependent,
        )


class ChangeKind(StrEnum):
    ENTERED = "entered"
    EXITED = "exited"


@dataclass(frozen=True, slots=True, order=True)
class ChangeCursor:
    """A place in the membership change feed: read after it to get what came later.

    Changes are ordered by the writing transaction, then by position; on SQLite the transaction
    is always 0. Start from `ChangeCursor()`.
    """

    transaction_id: int = 0
    position: int = 0


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """A person entered or exited a segment, as the change feed gives it to campaigns.

    `at` is when tidings recorded it; `matchtime` when the person's data made them match (for an
    entry) or stop matching (for an exit); see segments/matchtime.py for the rule.
    """

    cursor: ChangeCursor
    workspace_id: int
    segment_id: int
    cio_id: str
    kind: ChangeKind
    at: datetime
    matchtime: datetime
