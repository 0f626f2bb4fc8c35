"""A whole segment's re-checks in one statement: `next_change` for everyone at once, in SQL.

`next_change` takes the earliest instant after now among a condition's transitions: for each
relative timestamp the condition reads, the instant it flips (v ± N, a microsecond late for
"before"); for each occurrence a `within_days` window counts, when it enters and leaves the
window; for "not performed within N days", when the profile comes of age. Here each kind of
transition is a query of (cio_id, instant in unix microseconds) over the table it comes from,
restricted, inside an and/or group, to the people whose settled children leave the group open
(`settled.py`: a failing settled child keeps an `and` false whatever time does); their union,
grouped by person, gives each person's earliest instant after now, inserted as re-checks. The
instants are computed exactly as in Python (tests/segments/test_schedule.py holds the two to it).

A relative filter on a path that goes through arrays has no single value per row: such
conditions are left to the caller (`InstantsUnknown`), which schedules in batches in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, func, literal, not_, or_, select, union_all
from sqlalchemy.sql.expression import ColumnElement, FromClause, Select

from tidings.db.schema import devices, events, objects, people, relationships
from tidings.segments.compile import ConditionCompiler, Document, name_matches
from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    DeviceCondition,
    Direction,
    EventCondition,
    Not,
    Operator,
    Or,
    PageCondition,
    RelationshipCondition,
    ScreenCondition,
)
from tidings.segments.evaluate import EVENT_TYPES, unit_seconds
from tidings.segments.paths import parse_path
from tidings.segments.patterns import parse_name_pattern
from tidings.segments.settled import is_settled
from tidings.segments.sql_json import json_sql
from tidings.segments.values import EPOCH

__all__ = ["InstantsUnknown", "due_rechecks"]

_RELATIVE = (Operator.TS_BEFORE_RELATIVE, Operator.TS_AFTER_RELATIVE)
_MICROS = 1_000_000
_Activity = EventCondition | PageCondition | ScreenCondition


class InstantsUnknown(Exception):
    """The condition has a transition SQL cannot place (a relative filter through an array)."""


def due_rechecks(
    condition: Condition,
    *,
    workspace_id: int,
    segment_id: int,
    now: datetime,
    dialect: str,
    among: Select[Any] | None = None,
) -> Select[Any] | None:
    """A query of (workspace_id, segment_id, cio_id, due_at): each person's next_change, for the
    people who have one (of `among`, a query of cio_ids, if given); None when the condition does
    not depend on time. Raises InstantsUnknown."""
    sql = json_sql(dialect)
    parts = _Instants(ConditionCompiler(sql, workspace_id=workspace_id, now=now, memberships=None)).of(condition)
    if not parts:
        return None
    if among is not None:
        # In each part, so each reads only those people's rows.
        parts = [part.where(part.selected_columns.cio_id.in_(among)) for part in parts]
    every = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    now_micros = (now - EPOCH) // timedelta(microseconds=1)
    return (
        select(
            literal(workspace_id).label("workspace_id"),
            literal(segment_id).label("segment_id"),
            every.c.cio_id,
            sql.from_epoch_micros(func.min(every.c.instant)).label("due_at"),
        )
        .where(every.c.instant > now_micros)
        .group_by(every.c.cio_id)
    )


class _Instants:
    def __init__(self, compiler: ConditionCompiler) -> None:
        self.compiler = compiler
        self.sql = compiler.sql
        self.workspace_id = compiler.workspace_id
        self.now = compiler.now

    def of(self, condition: Condition) -> list[Select[Any]]:
        match condition:
            case And(children) | Or(children):
                parts = [part for child in children for part in self.of(child)]
                return self._left_open(parts, condition) if parts else parts
            case Not(child):
                return self.of(child)
            case AttributeCondition():
                where = [people.c.workspace_id == self.workspace_id]
                return self._attribute(condition, self.compiler.profile(), people.c.cio_id, where)
            case EventCondition() | PageCondition() | ScreenCondition():
                return self._activity(condition)
            case DeviceCondition():
                device = devices.alias()
                document = self.compiler.device_document(device)
                where = [device.c.workspace_id == self.workspace_id]
                return [
                    part for item in condition.filters for part in self._attribute(item, document, device.c.cio_id, where)
                ]
            case RelationshipCondition():
                return self._relationship(condition)
        return []  # segment and message conditions do not change with time

    def _left_open(self, parts: list[Select[Any]], group: And | Or) -> list[Select[Any]]:
        """evaluate._transitions: only the people whose settled children leave the group open
        (all hold in an `and`, none holds in an `or`), each part restricted to them."""
        settled = [self.compiler.condition(child) for child in group.children if is_settled(child)]
        if not settled:
            return parts
        open_ = and_(*settled) if isinstance(group, And) else not_(or_(*settled))
        # Not correlated with a part that reads `people` itself: the subquery has its own.
        left_open = (
            select(people.c.cio_id).where(people.c.workspace_id == self.workspace_id, open_).correlate(None)
        )
        return [part.where(part.selected_columns.cio_id.in_(left_open)) for part in parts]

    def _attribute(
        self, condition: AttributeCondition, document: Document, cio_id: ColumnElement[Any], where: Sequence[ColumnElement[bool]]
    ) -> list[Select[Any]]:
        """evaluate._attribute_transitions: the instant each timestamp the path reaches flips."""
        op = condition.operator
        if op not in _RELATIVE:
            return []
        assert isinstance(condition.value, int)
        offset = condition.value * unit_seconds(condition.unit)
        if condition.direction is Direction.FROM_NOW:
            offset = -offset
        just_after = 1 if op is Operator.TS_BEFORE_RELATIVE else 0
        parts = []
        for branch in self.compiler.branches(parse_path(condition.field).segments, document):
            if branch.froms:
                raise InstantsUnknown(condition.field)
            scalar = branch.scalar if branch.scalar is not None else self.sql.scalar(branch.node)
            stamp, valid = self.compiler.timestamp(scalar)
            instant = cast((stamp + offset) * _MICROS, BigInteger) + just_after
            parts.append(select(cio_id.label("cio_id"), instant.label("instant")).where(*where, valid))
        return parts

    def _activity(self, condition: _Activity) -> list[Select[Any]]:
        """evaluate._activity_transitions: occurrences entering and leaving a within_days window,
        their relative filters, and the profile coming of age."""
        event = events.alias()
        named = [
            event.c.workspace_id == self.workspace_id,
            event.c.cio_id.is_not(None),
            event.c.type == EVENT_TYPES[type(condition)].value,
            name_matches(parse_name_pattern(condition.name), event.c.name, dialect=self.sql.name),
        ]
        parts = [
            part for item in condition.filters for part in self._attribute(item, Document(event.c.data), event.c.cio_id, named)
        ]
        window = condition.window
        if window is None or window.within_days is None:
            return parts
        days = timedelta(days=window.within_days)
        span = window.within_days * 86400 * _MICROS
        at = self.sql.epoch_micros(event.c.timestamp)
        now_micros = (self.now - EPOCH) // timedelta(microseconds=1)
        # An occurrence still ahead enters the window at its time; one inside leaves it N days on.
        instant = case((at > now_micros, at), else_=at + span)
        parts.append(select(event.c.cio_id.label("cio_id"), instant.label("instant")).where(*named, event.c.timestamp > self.now - days))
        if not condition.performed:
            parts.append(self._coming_of_age(days, span))
        return parts

    def _coming_of_age(self, days: timedelta, span: int) -> Select[Any]:
        """The profile's start (its creation or earliest event) plus N days, for profiles younger than N."""
        first = events.alias()
        earliest = (
            select(func.min(first.c.timestamp))
            .where(first.c.workspace_id == self.workspace_id, first.c.cio_id == people.c.cio_id)
            .scalar_subquery()
        )
        start = case((earliest < people.c.created_at, earliest), else_=people.c.created_at)
        instant = self.sql.epoch_micros(start) + span
        return select(people.c.cio_id.label("cio_id"), instant.label("instant")).where(
            people.c.workspace_id == self.workspace_id, people.c.created_at > self.now - days
        )

    def _relationship(self, condition: RelationshipCondition) -> list[Select[Any]]:
        link, thing = relationships.alias(), objects.alias()
        joined: FromClause = link.join(
            thing, and_(thing.c.workspace_id == link.c.workspace_id, thing.c.cio_object_id == link.c.cio_object_id)
        )
        where = [link.c.workspace_id == self.workspace_id, thing.c.type_id == condition.object_type_id]
        parts = []
        for item in condition.object_filters:
            parts += self._attribute(item, self.compiler.object_document(thing), link.c.cio_id, where)
        for item in condition.relationship_filters:
            parts += self._attribute(item, Document(link.c.attributes), link.c.cio_id, where)
        return [part.select_from(joined) for part in parts]
