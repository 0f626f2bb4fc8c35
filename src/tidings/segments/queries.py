"""Every statement the segments domain runs: counting and listing matches, loading one person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import FromClause

from tidings.db.schema import devices, events, objects, people, relationships
from tidings.people import Device, EventType, Object, PersonRelationship
from tidings.segments.compile import compile_condition, name_matches
from tidings.segments.conditions import Condition
from tidings.segments.patterns import parse_name_pattern
from tidings.segments.types import EventFact, PersonFacts, Reads

__all__ = ["count_matching", "load_person_facts", "matching_cio_ids"]


def count_matching(
    conn: Connection, *, workspace_id: int, condition: Condition, now: datetime, memberships: FromClause | None = None
) -> int:
    """How many people of the workspace match `condition` at `now` (see compile_condition)."""
    where = compile_condition(
        condition, workspace_id=workspace_id, now=now, dialect=conn.dialect.name, memberships=memberships
    )
    return conn.execute(select(func.count()).select_from(people).where(where)).scalar_one()


def matching_cio_ids(
    conn: Connection, *, workspace_id: int, condition: Condition, now: datetime, memberships: FromClause | None = None
) -> list[str]:
    """The cio_ids of the people who match `condition` at `now`, in cio_id order."""
    where = compile_condition(
        condition, workspace_id=workspace_id, now=now, dialect=conn.dialect.name, memberships=memberships
    )
    return list(conn.execute(select(people.c.cio_id).where(where).order_by(people.c.cio_id)).scalars())


def load_person_facts(
    conn: Connection,
    *,
    workspace_id: int,
    cio_id: str,
    needs: Reads,
    segment_ids: frozenset[int] = frozenset(),
) -> PersonFacts | None:
    """What `needs` (from condition_reads) says a condition reads about one person, or None if
    there is no such person. Only the events it names are loaded; `segment_ids` are the
    person's current memberships, which the caller keeps."""
    row = conn.execute(
        select(people.c.id, people.c.email, people.c.attributes, people.c.created_at).where(
            people.c.workspace_id == workspace_id, people.c.cio_id == cio_id
        )
    ).first()
    if row is None:
        return None
    return PersonFacts(
        cio_id=cio_id,
        id=row.id,
        email=row.email,
        attributes=row.attributes,
        created_at=row.created_at,
        events=_events(conn, workspace_id, cio_id, needs.events),
        first_event_at=_first_event_at(conn, workspace_id, cio_id) if needs.has_profile_age else None,
        devices=_devices(conn, workspace_id, cio_id) if needs.has_devices else (),
        relationships=_relationships(conn, workspace_id, cio_id, needs.object_type_ids),
        segment_ids=segment_ids,
    )


def _events(
    conn: Connection, workspace_id: int, cio_id: str, wanted: frozenset[tuple[EventType, str]]
) -> tuple[EventFact, ...]:
    if not wanted:
        return ()
    dialect = conn.dialect.name
    matches = [
        and_(events.c.type == kind.value, name_matches(parse_name_pattern(pattern), events.c.name, dialect=dialect))
        for kind, pattern in sorted(wanted)
    ]
    rows = conn.execute(
        select(events.c.type, events.c.name, events.c.data, events.c.timestamp)
        .where(events.c.workspace_id == workspace_id, events.c.cio_id == cio_id, or_(*matches))
        .order_by(events.c.timestamp, events.c.pk)
    )
    return tuple(EventFact(EventType(r.type), r.name, r.data, r.timestamp) for r in rows)


def _first_event_at(conn: Connection, workspace_id: int, cio_id: str) -> datetime | None:
    first = conn.execute(
        select(events.c.timestamp)
        .where(events.c.workspace_id == workspace_id, events.c.cio_id == cio_id)
        .order_by(events.c.timestamp)
        .limit(1)
    ).first()
    return first.timestamp if first else None


def _devices(conn: Connection, workspace_id: int, cio_id: str) -> tuple[Device, ...]:
    rows = conn.execute(
        select(devices.c.token, devices.c.platform, devices.c.last_used, devices.c.last_status, devices.c.attributes)
        .where(devices.c.workspace_id == workspace_id, devices.c.cio_id == cio_id)
        .order_by(devices.c.token)
    )
    return tuple(Device(r.token, r.platform, r.last_used, r.last_status, r.attributes) for r in rows)


def _relationships(
    conn: Connection, workspace_id: int, cio_id: str, type_ids: Sequence[int] | frozenset[int]
) -> tuple[PersonRelationship, ...]:
    if not type_ids:
        return ()
    rows = conn.execute(
        select(objects, relationships.c.attributes.label("link_attributes"), relationships.c.created_at.label("linked_at"))
        .select_from(
            relationships.join(
                objects,
                and_(
                    objects.c.workspace_id == relationships.c.workspace_id,
                    objects.c.cio_object_id == relationships.c.cio_object_id,
                ),
            )
        )
        .where(
            relationships.c.workspace_id == workspace_id,
            relationships.c.cio_id == cio_id,
            objects.c.type_id.in_(sorted(type_ids)),
        )
        .order_by(objects.c.cio_object_id)
    )
    return tuple(
        PersonRelationship(
            object=Object(r.cio_object_id, r.type_id, r.object_id, r.attributes, r.created_at, r.updated_at),
            attributes=r.link_attributes,
            created_at=r.linked_at,
        )
        for r in rows
    )
