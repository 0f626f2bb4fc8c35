"""Storing PersonFacts as real rows, so both segment evaluators read the same people.

The rows go straight into the tables through SQLAlchemy (no ingest path): the segments tests
care about what is stored, not how it arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, false, insert, literal, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import FromClause

from tidings.db.schema import deliveries, delivery_reports, devices, events, objects, people, relationships
from tidings.people import Device, EventType, Object, PersonRelationship
from tidings.segments import DeliveryFact, EventFact, PersonFacts
from tidings.workspaces import create_workspace

__all__ = [
    "delivery",
    "device",
    "event",
    "facts",
    "memberships",
    "new_workspace_id",
    "related",
    "store_people",
]

T0 = datetime(2026, 1, 1, tzinfo=UTC)

def memberships(people_facts: Iterable[PersonFacts]) -> FromClause:
    """The people's segment memberships as a (cio_id, segment_id) selectable for the compiler."""
    rows = [(person.cio_id, s) for person in people_facts for s in sorted(person.segment_ids)]
    if not rows:
        return select(literal("").label("cio_id"), literal(0).label("segment_id")).where(false()).subquery()
    # A UNION of one-row SELECTs: SQLite cannot name the columns of a VALUES subquery.
    return union_all(
        *(select(literal(cio_id, String).label("cio_id"), literal(s, Integer).label("segment_id")) for cio_id, s in rows)
    ).subquery()


def new_workspace_id(conn: Connection, *, now: datetime = T0) -> int:
    return create_workspace(conn, name="segments", now=now).workspace.id


def facts(cio_id: str = "p1", *, created_at: datetime = T0, **rest: Any) -> PersonFacts:
    """A person; `attributes` defaults to none, and first_event_at follows the events given."""
    rest.setdefault("attributes", {})
    found = rest.get("events", ())
    rest.setdefault("first_event_at", min((e.timestamp for e in found), default=None))
    return PersonFacts(cio_id=cio_id, created_at=created_at, **rest)


def event(name: str, timestamp: datetime, data: dict[str, Any] | None = None, *, type: str = "event") -> EventFact:
    return EventFact(EventType(type), name, data or {}, timestamp)


def delivery(
    channel: str = "email", *, message: int | None = None, clicked: tuple[str, ...] = (), **milestones: int
) -> DeliveryFact:
    """A delivery that reached `milestones` (metric=unix time)."""
    return DeliveryFact(channel, message, milestones, clicked)


def device(
    token: str = "t1", *, platform: str = "ios", last_used: datetime = T0, last_status: str = "", **attributes: Any
) -> Device:
    return Device(token, platform, last_used, last_status, attributes)


def related(
    object_id: str,
    *,
    type_id: int = 1,
    attributes: dict[str, Any] | None = None,
    relationship: dict[str, Any] | None = None,
) -> PersonRelationship:
    thing = Object(f"obj-{type_id}-{object_id}", type_id, object_id, attributes or {}, T0, T0)
    return PersonRelationship(object=thing, attributes=relationship or {}, created_at=T0)


def store_people(conn: Connection, *, workspace_id: int, people_facts: Iterable[PersonFacts]) -> None:
    """Insert the people, their events, devices, related objects and relationships. Objects are
    keyed by type and object_id: give one object the same attributes wherever it appears."""
    people_rows, event_rows, device_rows, link_rows, delivery_rows, report_rows = [], [], [], [], [], []
    object_rows: dict[str, dict[str, Any]] = {}
    for person in people_facts:
        people_rows.append(
            {
                "workspace_id": workspace_id,
                "cio_id": person.cio_id,
                "id": person.id,
                "email": person.email,
                "email_key": person.email.lower() if person.email else None,
                "attributes": dict(person.attributes),
                "attribute_timestamps": dict(person.attribute_times),
                "created_at": person.created_at,
                "updated_at": person.created_at,
            }
        )
        for i, occurrence in enumerate(person.events):
            event_rows.append(
                {
                    "workspace_id": workspace_id,
                    "cio_id": person.cio_id,
                    "event_id": f"{person.cio_id}-{i}",
                    "type": occurrence.type.value,
                    "name": occurrence.name,
                    "data": dict(occurrence.data),
                    "timestamp": occurrence.timestamp,
                    "received_at": occurrence.timestamp,
                    "processed_at": occurrence.timestamp,
                }
            )
        for item in person.devices:
            device_rows.append(
                {
                    "workspace_id": workspace_id,
                    "cio_id": person.cio_id,
                    "token": item.token,
                    "platform": item.platform,
                    "last_used": item.last_used,
                    "last_status": item.last_status,
                    "attributes": dict(item.attributes),
                    "created_at": T0,
                }
            )
        for i, sent in enumerate(person.deliveries):
            delivery_id = f"{person.cio_id}-d{i}"
            delivery_rows.append(
                {
                    "workspace_id": workspace_id,
                    "id": delivery_id,
                    "cio_id": person.cio_id,
                    "channel": sent.channel,
                    "source": "transactional",
                    "transactional_message_id": sent.transactional_message_id,
                    "status": "queued",
                    "request": {},
                    "milestones": dict(sent.milestones),
                    "created_at": T0,
                    "updated_at": T0,
                }
            )
            for url in sent.clicked_urls:
                report_rows.append(
                    {
                        "workspace_id": workspace_id,
                        "delivery_id": delivery_id,
                        "metric": "clicked",
                        "data": {"href": url},
                        "timestamp": T0,
                        "received_at": T0,
                    }
                )
        for link in person.relationships:
            thing = link.object
            object_rows[thing.cio_object_id] = {
                "workspace_id": workspace_id,
                "cio_object_id": thing.cio_object_id,
                "type_id": thing.type_id,
                "object_id": thing.object_id,
                "attributes": dict(thing.attributes),
                "created_at": thing.created_at,
                "updated_at": thing.updated_at,
            }
            link_rows.append(
                {
                    "workspace_id": workspace_id,
                    "cio_id": person.cio_id,
                    "cio_object_id": thing.cio_object_id,
                    "attributes": dict(link.attributes),
                    "created_at": link.created_at,
                    "updated_at": link.created_at,
                }
            )
    for table, rows in (
        (people, people_rows),
        (events, event_rows),
        (devices, device_rows),
        (objects, list(object_rows.values())),
        (relationships, link_rows),
        (deliveries, delivery_rows),
        (delivery_reports, report_rows),
    ):
        if rows:
            conn.execute(insert(table), rows)
