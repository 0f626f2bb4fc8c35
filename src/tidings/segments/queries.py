"""Every statement the segments domain runs to evaluate: counting and listing matches, loading
what conditions read about people (one or a batch at a time), and finding whom a change concerns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import FromClause, Select

from tidings.db.driver import DriverStatement
from tidings.db.schema import deliveries, delivery_reports, events, objects, people, relationships
from tidings.people import EventType, Object, PersonRelationship
from tidings.segments.compile import compile_condition
from tidings.segments.conditions import Condition
from tidings.segments.fact_queries import (
    EventHorizons,
    load_devices,
    load_events,
    load_memberships,
    load_pair_states,
    load_profiles,
)
from tidings.segments.types import DeliveryFact, PersonFacts, Reads

__all__ = [
    "anonymous_event_kinds",
    "count_matching",
    "delivery_cio_id",
    "load_people_facts",
    "load_people_state",
    "load_person_facts",
    "matching_cio_ids",
    "related_cio_ids",
    "workspace_cio_ids",
]

# People per statement where a list is bound value by value: well under either database's limit on parameters.
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
    conn: Connection,
    *,
    workspace_id: int,
    cio_ids: Sequence[str],
    needs: Reads,
    horizons: EventHorizons | None = None,
    now: datetime | None = None,
) -> dict[str, PersonFacts]:
    """`load_person_facts` for many people at once, a statement per kind of data; people who do
    not exist are left out. With `now`, events of the names `horizons` gives a number of days are
    read from that many days before `now` only (see `event_horizons`)."""
    facts, _ = load_people_state(conn, workspace_id=workspace_id, cio_ids=cio_ids, needs=needs, horizons=horizons, now=now)
    return facts


def load_people_state(
    conn: Connection,
    *,
    workspace_id: int,
    cio_ids: Sequence[str],
    needs: Reads,
    horizons: EventHorizons | None,
    now: datetime | None,
    pairs: Collection[tuple[int, str]] | None = None,
) -> tuple[dict[str, PersonFacts], dict[tuple[int, str], datetime]]:
    """`load_people_facts`, or, with `pairs` of (segment_id, cio_id), memberships read for those
    pairs only (a person's `segment_ids` holds just the segments of their pairs they are in) and
    the pairs' scheduled re-checks by (segment_id, cio_id)."""
    if not cio_ids:
        return {}, {}
    rows = load_profiles(conn, workspace_id=workspace_id, cio_ids=cio_ids, has_first_event=needs.has_profile_age)
    if not rows:
        return {}, {}
    found = [row[0] for row in rows]
    if horizons is None:
        horizons = dict.fromkeys(needs.events)
    person_events = load_events(
        conn, workspace_id=workspace_id, cio_ids=found, horizons=horizons, has_data=needs.has_event_data, now=now
    )
    person_devices = load_devices(conn, workspace_id=workspace_id, cio_ids=found) if needs.has_devices else {}
    links = _relationships(conn, workspace_id, found, needs.object_type_ids)
    sent = _deliveries(conn, workspace_id, found) if needs.has_messages else {}
    if pairs is None:
        members, rechecks = load_memberships(conn, workspace_id=workspace_id, cio_ids=found), {}
    else:
        members, rechecks = load_pair_states(conn, workspace_id=workspace_id, pairs=pairs)
    facts = {
        cio_id: PersonFacts(
            cio_id=cio_id,
            id=id_,
            email=email,
            attributes=attributes,
            created_at=created_at,
            events=tuple(person_events.get(cio_id, ())),
            first_event_at=first_event_at,
            devices=tuple(person_devices.get(cio_id, ())),
            relationships=tuple(links.get(cio_id, ())),
            segment_ids=frozenset(members.get(cio_id, ())),
            deliveries=tuple(sent.get(cio_id, ())),
            attribute_times=attribute_times,
        )
        for cio_id, id_, email, attributes, attribute_times, created_at, first_event_at in rows
    }
    return facts, rechecks


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


_ANONYMOUS_EVENT_KINDS = DriverStatement(
    lambda dialect: select(events.c.type, events.c.name)
    .where(
        events.c.workspace_id == bindparam("workspace_id"),
        events.c.anonymous_id == bindparam("anonymous_id"),
        events.c.cio_id == bindparam("cio_id"),
    )
    .distinct()
)


def anonymous_event_kinds(
    conn: Connection, *, workspace_id: int, anonymous_id: str, cio_id: str
) -> frozenset[tuple[EventType, str]]:
    """The (type, name) of the events a person has from an anonymous id: what merging it brought."""
    rows = _ANONYMOUS_EVENT_KINDS.rows(conn, {"workspace_id": workspace_id, "anonymous_id": anonymous_id, "cio_id": cio_id})
    return frozenset((EventType(type_), name) for type_, name in rows)


def delivery_cio_id(conn: Connection, *, workspace_id: int, delivery_id: str) -> str | None:
    """The person a delivery was for, if it exists and has one."""
    statement = select(deliveries.c.cio_id).where(deliveries.c.workspace_id == workspace_id, deliveries.c.id == delivery_id)
    return conn.execute(statement).scalar() or None


def _relationships(
    conn: Connection, workspace_id: int, cio_ids: list[str], type_ids: frozenset[int]
) -> dict[str, list[PersonRelationship]]:
    if not type_ids:
        return {}
    found: dict[str, list[PersonRelationship]] = defaultdict(list)
    for start in range(0, len(cio_ids), _PEOPLE_PER_STATEMENT):
        for person, links in _relationships_of(conn, workspace_id, cio_ids[start : start + _PEOPLE_PER_STATEMENT], type_ids).items():
            found[person] += links
    return found


def _relationships_of(
    conn: Connection, workspace_id: int, cio_ids: list[str], type_ids: frozenset[int]
) -> dict[str, list[PersonRelationship]]:
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
    found: dict[str, list[DeliveryFact]] = defaultdict(list)
    for start in range(0, len(cio_ids), _PEOPLE_PER_STATEMENT):
        for person, sent in _deliveries_of(conn, workspace_id, cio_ids[start : start + _PEOPLE_PER_STATEMENT]).items():
            found[person] += sent
    return found


def _deliveries_of(conn: Connection, workspace_id: int, cio_ids: list[str]) -> dict[str, list[DeliveryFact]]:
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
