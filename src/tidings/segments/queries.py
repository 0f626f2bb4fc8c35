"""Every statement the segments domain runs to evaluate: counting and listing matches, loading
what conditions read about people (one or a batch at a time), and finding whom a change concerns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import ColumnElement, FromClause, Select

from tidings.db.schema import deliveries, delivery_reports, devices, events, objects, people, relationships, segment_members
from tidings.people import Device, EventType, Object, PersonRelationship
from tidings.segments.compile import compile_condition, name_matches
from tidings.segments.conditions import Condition
from tidings.segments.patterns import parse_name_pattern
from tidings.segments.types import DeliveryFact, EventFact, PersonFacts, Reads

__all__ = [
    "anonymous_event_kinds",
    "count_matching",
    "delivery_cio_id",
    "load_people_facts",
    "load_person_facts",
    "matching_cio_ids",
    "related_cio_ids",
    "workspace_cio_ids",
]

# People per statement when loading a batch: well under either database's limit on parameters.
_PEOPLE_PER_STATEMENT = 500


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
    segment_ids: frozenset[int] | None = None,
) -> PersonFacts | None:
    """What `needs` (from condition_reads) says a condition reads about one person, or None if
    there is no such person. Only the events it names are loaded. The person's current
    memberships are read too, unless the caller gives them as `segment_ids`."""
    found = load_people_facts(conn, workspace_id=workspace_id, cio_ids=[cio_id], needs=needs).get(cio_id)
    if found is None or segment_ids is None:
        return found
    return replace(found, segment_ids=segment_ids)


def load_people_facts(
    conn: Connection, *, workspace_id: int, cio_ids: Sequence[str], needs: Reads
) -> dict[str, PersonFacts]:
    """`load_person_facts` for many people at once, a few statements per 500 people; people
    who do not exist are left out."""
    found: dict[str, PersonFacts] = {}
    for start in range(0, len(cio_ids), _PEOPLE_PER_STATEMENT):
        chunk = list(cio_ids[start : start + _PEOPLE_PER_STATEMENT])
        found.update(_load(conn, workspace_id, chunk, needs))
    return found


def related_cio_ids(
    conn: Connection,
    *,
    workspace_id: int,
    type_id: int | None,
    object_id: str | None,
    cio_object_id: str | None,
    limit: int | None = None,
) -> list[str]:
    """The people related to an object (named by cio_object_id, or by type and object_id), in
    cio_id order; the first `limit` of them, if given."""
    thing = objects.c
    if cio_object_id:
        named = thing.cio_object_id == cio_object_id
    else:
        named = and_(thing.type_id == type_id, thing.object_id == object_id)
    statement = (
        select(relationships.c.cio_id)
        .join_from(
            relationships,
            objects,
            and_(thing.workspace_id == relationships.c.workspace_id, thing.cio_object_id == relationships.c.cio_object_id),
        )
        .where(relationships.c.workspace_id == workspace_id, named)
        .order_by(relationships.c.cio_id)
        .limit(limit)
    )
    return list(conn.execute(statement).scalars())


def workspace_cio_ids(
    conn: Connection, *, workspace_id: int, after_cio_id: str | None, limit: int, among: Select[Any] | None = None
) -> list[str]:
    """A page of the workspace's people (of `among`, a query of cio_ids, if given), in cio_id
    order, after `after_cio_id`."""
    statement = select(people.c.cio_id).where(people.c.workspace_id == workspace_id).order_by(people.c.cio_id).limit(limit)
    if after_cio_id is not None:
        statement = statement.where(people.c.cio_id > after_cio_id)
    if among is not None:
        statement = statement.where(people.c.cio_id.in_(among))
    return list(conn.execute(statement).scalars())


def anonymous_event_kinds(
    conn: Connection, *, workspace_id: int, anonymous_id: str, cio_id: str
) -> frozenset[tuple[EventType, str]]:
    """The (type, name) of the events a person has from an anonymous id: what merging it brought."""
    rows = conn.execute(
        select(events.c.type, events.c.name)
        .where(events.c.workspace_id == workspace_id, events.c.anonymous_id == anonymous_id, events.c.cio_id == cio_id)
        .distinct()
    )
    return frozenset((EventType(row.type), row.name) for row in rows)


def delivery_cio_id(conn: Connection, *, workspace_id: int, delivery_id: str) -> str | None:
    """The person a delivery was for, if it exists and has one."""
    statement = select(deliveries.c.cio_id).where(deliveries.c.workspace_id == workspace_id, deliveries.c.id == delivery_id)
    return conn.execute(statement).scalar() or None


def _load(conn: Connection, workspace_id: int, cio_ids: list[str], needs: Reads) -> dict[str, PersonFacts]:
    rows = conn.execute(
        select(
            people.c.cio_id, people.c.id, people.c.email, people.c.attributes, people.c.attribute_timestamps, people.c.created_at
        ).where(people.c.workspace_id == workspace_id, people.c.cio_id.in_(cio_ids))
    ).all()
    if not rows:
        return {}
    cio_ids = [row.cio_id for row in rows]
    person_events = _events(conn, workspace_id, cio_ids, needs.events, has_data=needs.has_event_data)
    first_events = _first_event_at(conn, workspace_id, cio_ids) if needs.has_profile_age else {}
    person_devices = _devices(conn, workspace_id, cio_ids) if needs.has_devices else {}
    links = _relationships(conn, workspace_id, cio_ids, needs.object_type_ids)
    sent = _deliveries(conn, workspace_id, cio_ids) if needs.has_messages else {}
    members = _memberships(conn, workspace_id, cio_ids)
    return {
        row.cio_id: PersonFacts(
            cio_id=row.cio_id,
            id=row.id,
            email=row.email,
            attributes=row.attributes,
            created_at=row.created_at,
            events=tuple(person_events.get(row.cio_id, ())),
            first_event_at=first_events.get(row.cio_id),
            devices=tuple(person_devices.get(row.cio_id, ())),
            relationships=tuple(links.get(row.cio_id, ())),
            segment_ids=frozenset(members.get(row.cio_id, ())),
            deliveries=tuple(sent.get(row.cio_id, ())),
            attribute_times=row.attribute_timestamps,
        )
        for row in rows
    }


def _events(
    conn: Connection, workspace_id: int, cio_ids: list[str], wanted: frozenset[tuple[EventType, str]], *, has_data: bool
) -> dict[str, list[EventFact]]:
    """The events of `wanted` types and names; without `has_data` (no condition filters on it)
    their data is left out, which spares decoding it."""
    if not wanted:
        return {}
    data = events.c.data if has_data else literal(None).label("data")
    rows = conn.execute(
        select(events.c.cio_id, events.c.type, events.c.name, data, events.c.timestamp)
        .where(events.c.workspace_id == workspace_id, events.c.cio_id.in_(cio_ids), _names_matching(wanted, conn.dialect.name))
        .order_by(events.c.cio_id, events.c.timestamp, events.c.pk)
    )
    found: dict[str, list[EventFact]] = defaultdict(list)
    for r in rows:
        found[r.cio_id].append(EventFact(EventType(r.type), r.name, r.data or {}, r.timestamp))
    return found


@lru_cache(maxsize=256)
def _names_matching(wanted: frozenset[tuple[EventType, str]], dialect: str) -> ColumnElement[bool]:
    """SQL for an event of one of the `wanted` types and names; built once per set of segments."""
    return or_(
        *(
            and_(events.c.type == kind.value, name_matches(parse_name_pattern(pattern), events.c.name, dialect=dialect))
            for kind, pattern in sorted(wanted)
        )
    )


def _first_event_at(conn: Connection, workspace_id: int, cio_ids: list[str]) -> dict[str, datetime]:
    rows = conn.execute(
        select(events.c.cio_id, func.min(events.c.timestamp).label("first"))
        .where(events.c.workspace_id == workspace_id, events.c.cio_id.in_(cio_ids))
        .group_by(events.c.cio_id)
    )
    return {r.cio_id: r.first for r in rows}


def _devices(conn: Connection, workspace_id: int, cio_ids: list[str]) -> dict[str, list[Device]]:
    rows = conn.execute(
        select(devices.c.cio_id, devices.c.token, devices.c.platform, devices.c.last_used, devices.c.last_status, devices.c.attributes)
        .where(devices.c.workspace_id == workspace_id, devices.c.cio_id.in_(cio_ids))
        .order_by(devices.c.cio_id, devices.c.token)
    )
    found: dict[str, list[Device]] = defaultdict(list)
    for r in rows:
        found[r.cio_id].append(Device(r.token, r.platform, r.last_used, r.last_status, r.attributes))
    return found


def _relationships(
    conn: Connection, workspace_id: int, cio_ids: list[str], type_ids: frozenset[int]
) -> dict[str, list[PersonRelationship]]:
    if not type_ids:
        return {}
    rows = conn.execute(
        select(
            objects,
            relationships.c.cio_id.label("person"),
            relationships.c.attributes.label("link_attributes"),
            relationships.c.created_at.label("linked_at"),
        )
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
            relationships.c.cio_id.in_(cio_ids),
            objects.c.type_id.in_(sorted(type_ids)),
        )
        .order_by(relationships.c.cio_id, objects.c.cio_object_id)
    )
    found: dict[str, list[PersonRelationship]] = defaultdict(list)
    for r in rows:
        thing = Object(r.cio_object_id, r.type_id, r.object_id, r.attributes, r.created_at, r.updated_at)
        found[r.person].append(PersonRelationship(object=thing, attributes=r.link_attributes, created_at=r.linked_at))
    return found


def _deliveries(conn: Connection, workspace_id: int, cio_ids: list[str]) -> dict[str, list[DeliveryFact]]:
    """Read from the deliveries table directly: segments sit beside messaging, not above it."""
    rows = conn.execute(
        select(
            deliveries.c.cio_id, deliveries.c.id, deliveries.c.channel, deliveries.c.transactional_message_id, deliveries.c.milestones
        )
        .where(deliveries.c.workspace_id == workspace_id, deliveries.c.cio_id.in_(cio_ids))
        .order_by(deliveries.c.cio_id, deliveries.c.created_at, deliveries.c.id)
    ).all()
    clicked = _clicked_urls(conn, workspace_id, [r.id for r in rows if "clicked" in r.milestones])
    found: dict[str, list[DeliveryFact]] = defaultdict(list)
    for r in rows:
        found[r.cio_id].append(
            DeliveryFact(r.channel, r.transactional_message_id, r.milestones, tuple(clicked.get(r.id, ())))
        )
    return found


def _clicked_urls(conn: Connection, workspace_id: int, delivery_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(delivery_ids), _PEOPLE_PER_STATEMENT):
        rows = conn.execute(
            select(delivery_reports.c.delivery_id, delivery_reports.c.data)
            .where(
                delivery_reports.c.workspace_id == workspace_id,
                delivery_reports.c.delivery_id.in_(delivery_ids[start : start + _PEOPLE_PER_STATEMENT]),
                delivery_reports.c.metric == "clicked",
            )
            .order_by(delivery_reports.c.pk)
        )
        for r in rows:
            href: Any = r.data.get("href") if isinstance(r.data, dict) else None
            if isinstance(href, str):
                found[r.delivery_id].append(href)
    return found


def _memberships(conn: Connection, workspace_id: int, cio_ids: list[str]) -> dict[str, list[int]]:
    rows = conn.execute(
        select(segment_members.c.cio_id, segment_members.c.segment_id).where(
            segment_members.c.workspace_id == workspace_id, segment_members.c.cio_id.in_(cio_ids)
        )
    )
    found: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        found[r.cio_id].append(r.segment_id)
    return found
