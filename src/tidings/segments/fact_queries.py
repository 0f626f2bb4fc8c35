"""The statements that load what conditions read about a batch of people, on the driver's cursor.

Real-time membership loads, at the end of every processed batch, what the touched segments read
about its people: their profiles, the events of the names involved, devices, memberships and
scheduled re-checks. Each kind is one statement for all of them (the people bound as one list,
`one_of`), so a batch costs the same few round trips however many people it touched, and the
statements run as `DriverStatement`s, which spares SQLAlchemy's per-execution work.

Three things keep what is read small:
- a person's earliest event, for the profile-age rule, is an index lookup per person in the
  profile's statement rather than a pass over all their events;
- events of a name that only windowed "performed in the past N days" conditions read are read
  from N days before now (`horizons`): older ones can neither be counted nor move a re-check;
- membership and re-checks are looked up for the (segment, person) pairs an evaluation can
  consult, not every segment each person is in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Integer, String, and_, bindparam, func, null, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.expression import ColumnElement

from tidings.db.dialect import one_of
from tidings.db.driver import DriverStatement
from tidings.db.schema import devices, events, people, segment_members, segment_rechecks
from tidings.people import Device, EventType
from tidings.segments.compile import name_matches
from tidings.segments.patterns import parse_name_pattern
from tidings.segments.types import EventFact

__all__ = [
    "EventHorizons",
    "ProfileRow",
    "load_devices",
    "load_events",
    "load_memberships",
    "load_pair_states",
    "load_profiles",
]

# How far back each (type, name pattern) an evaluation reads: days before now, or None for all.
EventHorizons = Mapping[tuple[EventType, str], int | None]
# (cio_id, id, email, attributes, attribute_timestamps, created_at, first_event_at or None)
ProfileRow = tuple[str, str | None, str | None, Mapping[str, Any], Mapping[str, int], datetime, datetime | None]

_PERSON_COLUMNS = (
    people.c.cio_id,
    people.c.id,
    people.c.email,
    people.c.attributes,
    people.c.attribute_timestamps,
    people.c.created_at,
)


def _profiles(dialect: str, *, has_first_event: bool) -> ClauseElement:
    first_event: ColumnElement[Any] = (
        select(func.min(events.c.timestamp))
        .where(events.c.workspace_id == people.c.workspace_id, events.c.cio_id == people.c.cio_id)
        .scalar_subquery()
        if has_first_event
        else null()
    )
    return select(*_PERSON_COLUMNS, first_event.label("first_event_at")).where(
        people.c.workspace_id == bindparam("workspace_id"), one_of(people.c.cio_id, "cio_ids", dialect)
    )


_PROFILES = DriverStatement(lambda dialect: _profiles(dialect, has_first_event=False))
# With each person's earliest event of any name: the first entry of the events index for them.
_PROFILES_WITH_FIRST_EVENT = DriverStatement(lambda dialect: _profiles(dialect, has_first_event=True))


def load_profiles(conn: Connection, *, workspace_id: int, cio_ids: Sequence[str], has_first_event: bool) -> list[ProfileRow]:
    """The profiles of those of `cio_ids` who exist, with their earliest event if asked."""
    statement = _PROFILES_WITH_FIRST_EVENT if has_first_event else _PROFILES
    return statement.rows(conn, {"workspace_id": workspace_id, "cio_ids": list(cio_ids)})  # type: ignore[return-value]


_MEMBERSHIPS = DriverStatement(
    lambda dialect: select(segment_members.c.cio_id, segment_members.c.segment_id).where(
        segment_members.c.workspace_id == bindparam("workspace_id"), one_of(segment_members.c.cio_id, "cio_ids", dialect)
    )
)


def load_memberships(conn: Connection, *, workspace_id: int, cio_ids: Sequence[str]) -> dict[str, set[int]]:
    """Every segment each person is in, by cio_id."""
    members: dict[str, set[int]] = defaultdict(set)
    for cio_id, segment_id in _MEMBERSHIPS.rows(conn, {"workspace_id": workspace_id, "cio_ids": list(cio_ids)}):
        members[cio_id].add(segment_id)
    return members


def _pair_states(dialect: str) -> ClauseElement:
    if dialect == "postgresql":
        unnest = func.unnest(
            bindparam("segment_ids", type_=postgresql.ARRAY(Integer)), bindparam("pair_cio_ids", type_=postgresql.ARRAY(String))
        )
        pair = unnest.table_valued("segment_id", "cio_id").render_derived().alias("pair")
        segment_id, cio_id = pair.c.segment_id, pair.c.cio_id
    else:
        pair = func.json_each(bindparam("pairs", type_=JSON)).table_valued("value").alias("pair")
        segment_id, cio_id = func.json_extract(pair.c.value, "$[0]"), func.json_extract(pair.c.value, "$[1]")
    members, scheduled = segment_members.c, segment_rechecks.c
    workspace_id = bindparam("workspace_id")
    # Subqueries per pair, not joins: they stay primary-key lookups whatever the planner believes
    # of the tables' sizes, which a build that has just added a million members leaves far behind
    # (PostgreSQL then hashed every membership of the workspace for each batch).
    member = select(members.cio_id).where(
        members.workspace_id == workspace_id, members.segment_id == segment_id, members.cio_id == cio_id
    )
    due_at = select(scheduled.due_at).where(
        scheduled.workspace_id == workspace_id, scheduled.segment_id == segment_id, scheduled.cio_id == cio_id
    )
    return select(
        segment_id.label("segment_id"),
        cio_id.label("cio_id"),
        member.scalar_subquery().label("member"),
        due_at.scalar_subquery().label("due_at"),
    ).select_from(pair)


# Primary-key lookups of (segment, person) pairs: a membership and a re-check each.
_PAIR_STATES = DriverStatement(_pair_states)


def load_pair_states(
    conn: Connection, *, workspace_id: int, pairs: Collection[tuple[int, str]]
) -> tuple[dict[str, set[int]], dict[tuple[int, str], datetime]]:
    """For (segment_id, cio_id) pairs only: the segments of them each person is in, and the
    re-checks scheduled, by (segment_id, cio_id), in one statement."""
    members: dict[str, set[int]] = defaultdict(set)
    due: dict[tuple[int, str], datetime] = {}
    if not pairs:
        return members, due
    ordered = sorted(pairs)
    parameters = {
        "workspace_id": workspace_id,
        "pairs": [list(pair) for pair in ordered],
        "segment_ids": [segment_id for segment_id, _ in ordered],
        "pair_cio_ids": [cio_id for _, cio_id in ordered],
    }
    for segment_id, cio_id, member, due_at in _PAIR_STATES.rows(conn, parameters):
        if member is not None:
            members[cio_id].add(segment_id)
        if due_at is not None:
            due[(segment_id, cio_id)] = due_at
    return members, due


_DEVICES = DriverStatement(
    lambda dialect: select(
        devices.c.cio_id, devices.c.token, devices.c.platform, devices.c.last_used, devices.c.last_status, devices.c.attributes
    )
    .where(devices.c.workspace_id == bindparam("workspace_id"), one_of(devices.c.cio_id, "cio_ids", dialect))
    .order_by(devices.c.cio_id, devices.c.token)
)


def load_devices(conn: Connection, *, workspace_id: int, cio_ids: Sequence[str]) -> dict[str, list[Device]]:
    found: dict[str, list[Device]] = defaultdict(list)
    for cio_id, token, platform, last_used, last_status, attributes in _DEVICES.rows(
        conn, {"workspace_id": workspace_id, "cio_ids": list(cio_ids)}
    ):
        found[cio_id].append(Device(token, platform, last_used, last_status, attributes))
    return found


def load_events(
    conn: Connection,
    *,
    workspace_id: int,
    cio_ids: Sequence[str],
    horizons: EventHorizons,
    has_data: bool,
    now: datetime | None,
) -> dict[str, list[EventFact]]:
    """People's events of the types and names `horizons` lists, oldest first, each from its
    horizon before `now` on (all of them without `now`); without `has_data` (no condition
    filters on it) their data is left out, which spares decoding it."""
    if not horizons:
        return {}
    wanted = tuple(sorted((kind, pattern, days if now is not None else None) for (kind, pattern), days in horizons.items()))
    parameters: dict[str, Any] = {"workspace_id": workspace_id, "cio_ids": list(cio_ids)}
    for index, (_, _, days) in enumerate(wanted):
        if days is not None:
            assert now is not None
            parameters[f"since_{index}"] = now - timedelta(days=days)
    earliest = [parameters[f"since_{i}"] for i, (_, _, days) in enumerate(wanted) if days is not None]
    if len(earliest) == len(wanted):
        parameters["since"] = min(earliest)
    found: dict[str, list[EventFact]] = defaultdict(list)
    types = {kind.value: kind for kind in EventType}
    for cio_id, type_, name, data, timestamp in _events_statement(wanted, has_data).rows(conn, parameters):
        found[cio_id].append(EventFact(types[type_], name, data or {}, timestamp))
    return found


@lru_cache(maxsize=256)
def _events_statement(wanted: tuple[tuple[EventType, str, int | None], ...], has_data: bool) -> DriverStatement:
    """One statement per set of names and horizons (the `since_N` instants are parameters)."""

    def build(dialect: str) -> ClauseElement:
        data = events.c.data if has_data else null().label("data")
        names = or_(
            *(
                and_(
                    events.c.type == kind.value,
                    name_matches(parse_name_pattern(pattern), events.c.name, dialect=dialect),
                    *([events.c.timestamp >= bindparam(f"since_{index}", type_=events.c.timestamp.type)] if days is not None else []),
                )
                for index, (kind, pattern, days) in enumerate(wanted)
            )
        )
        where = [events.c.workspace_id == bindparam("workspace_id"), one_of(events.c.cio_id, "cio_ids", dialect), names]
        if all(days is not None for _, _, days in wanted):
            # A range of the (workspace, person, timestamp) index when every name has a horizon.
            where.append(events.c.timestamp >= bindparam("since", type_=events.c.timestamp.type))
        return (
            select(events.c.cio_id, events.c.type, events.c.name, data, events.c.timestamp)
            .where(*where)
            .order_by(events.c.cio_id, events.c.timestamp, events.c.pk)
        )

    return DriverStatement(build)
