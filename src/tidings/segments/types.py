"""What the per-person evaluator reads about a person, and what a condition reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidings.people import Device, EventType, PersonRelationship
from tidings.segments.patterns import parse_name_pattern

__all__ = ["EventFact", "PersonFacts", "Reads"]


@dataclass(frozen=True, slots=True)
class EventFact:
    """One event, page view or screen view the person performed."""

    type: EventType
    name: str
    data: Mapping[str, Any]
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """Everything a condition can ask about one person, at one moment.

    `created_at` is when tidings created the profile (`_created_in_customerio_at`). Callers may
    load only what a condition reads (`condition_reads`): `events` then holds just the events it
    names. `first_event_at` is the person's earliest event of any name, for the profile-age
    rule; `segment_ids` are the segments the person is in now.
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
    # Relative timestamps and event windows change the answer as time passes (see next_change).
    is_time_dependent: bool = False

    def reads_event(self, type: EventType, name: str) -> bool:
        """True when an event of this type and name can change the answer."""
        if self.has_profile_age:
            return True  # any event can be the profile's earliest
        return any(kind is type and parse_name_pattern(pattern).matches(name) for kind, pattern in self.events)

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
            is_time_dependent=self.is_time_dependent or other.is_time_dependent,
        )
