"""The SQL evaluator: a condition as one boolean over the `people` table.

It states the rules of `evaluate.py` in SQL, the same on SQLite and PostgreSQL, and the
property test holds the two to the same answers. Event, device and relationship conditions
become EXISTS (or COUNT) subqueries correlated with `people`; JSON paths become json_each /
json_tree or jsonb_array_elements / jsonb_path_query. Every part yields true or false, never
NULL, so NOT is exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, false, func, literal, not_, null, or_, select, true
from sqlalchemy.sql.expression import ColumnElement, FromClause

from tidings.db.schema import deliveries, delivery_reports, devices, events, objects, people, relationships
from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    Count,
    CountOp,
    DeviceCondition,
    EventCondition,
    MessageCondition,
    Not,
    Operator,
    Or,
    PageCondition,
    RelationshipCondition,
    ScreenCondition,
    SegmentCondition,
)
from tidings.segments.evaluate import (
    EVENT_TYPES,
    NEGATIONS,
    activity_window,
    is_of_message,
    link_pattern,
    relative_threshold,
)
from tidings.segments.paths import AnyElement, Index, Key, OptionalKey, parse_path
from tidings.segments.patterns import Pattern, parse_name_pattern, parse_pattern
from tidings.segments.sql_json import JsonSql, Scalar, json_sql, number_column, text_column
from tidings.segments.values import (
    EPOCH,
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    as_number,
    parse_instant,
    string_form,
)

__all__ = ["Branch", "ConditionCompiler", "Document", "compile_condition", "name_matches"]

_Activity = EventCondition | PageCondition | ScreenCondition


def compile_condition(
    condition: Condition,
    *,
    workspace_id: int,
    now: datetime,
    dialect: str,
    memberships: FromClause | None = None,
) -> ColumnElement[bool]:
    """A boolean over `people` that holds for exactly the people `evaluate` matches at `now`.

    Use it in a query over `people` (`select(people.c.cio_id).where(...)`); it includes the
    workspace filter. `dialect` is "sqlite" or "postgresql". Segment conditions read
    `memberships`, a selectable with `cio_id` and `segment_id` columns holding this workspace's
    current memberships; without segment conditions it may be None.
    """
    compiler = ConditionCompiler(json_sql(dialect), workspace_id=workspace_id, now=now, memberships=memberships)
    return and_(people.c.workspace_id == workspace_id, compiler.condition(condition))


def name_matches(pattern: Pattern, name: ColumnElement[Any], *, dialect: str) -> ColumnElement[bool]:
    """SQL for `pattern.matches(name)` on an event-name column."""
    return _matches(pattern, json_sql(dialect).fold(name))


@dataclass(frozen=True, slots=True)
class Branch:
    """One way a path can reach values: FROM items to iterate, guards, and the node (or, after
    a trailing `[]`, the scalar) it reaches."""

    froms: tuple[FromClause, ...] = ()
    guards: tuple[ColumnElement[bool], ...] = ()
    node: Any = None
    scalar: Scalar | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """Where a path's root key is read: a JSON column, with some names read from columns."""

    json: ColumnElement[Any]
    columns: Mapping[str, Scalar] = field(default_factory=dict)


class ConditionCompiler:
    def __init__(self, sql: JsonSql, *, workspace_id: int, now: datetime, memberships: FromClause | None) -> None:
        self.sql = sql
        self.workspace_id = workspace_id
        self.now = now
        self.memberships = memberships

    def condition(self, condition: Condition) -> ColumnElement[bool]:
        match condition:
            case And(children):
                return and_(*(self.condition(child) for child in children))
            case Or(children):
                return or_(*(self.condition(child) for child in children))
            case Not(child):
                return not_(self.condition(child))
            case AttributeCondition():
                return self.attribute(condition, self.profile())
            case EventCondition() | PageCondition() | ScreenCondition():
                return self.activity(condition)
            case DeviceCondition():
                return self.device(condition)
            case RelationshipCondition():
                return self.relationship(condition)
            case SegmentCondition():
                return self.segment(condition)
            case MessageCondition():
                return self.message(condition)
        raise AssertionError(f"unknown condition {condition!r}")

    # Attribute conditions

    def profile(self) -> Document:
        sql = self.sql
        return Document(
            people.c.attributes,
            {
                "id": text_column(people.c.id),
                "email": text_column(people.c.email),
                "cio_id": text_column(people.c.cio_id),
                "_created_in_customerio_at": number_column(sql.epoch(people.c.created_at)),
            },
        )

    def attribute(self, condition: AttributeCondition, document: Document) -> ColumnElement[bool]:
        positive = NEGATIONS.get(condition.operator)
        if positive is not None:
            return not_(self._positive(condition, positive, document))
        return self._positive(condition, condition.operator, document)

    def _positive(self, condition: AttributeCondition, op: Operator, document: Document) -> ColumnElement[bool]:
        tests = []
        for branch in self.branches(parse_path(condition.field).segments, document):
            froms, guards = branch.froms, branch.guards
            if op is Operator.EXISTS:
                test = branch.scalar.is_present if branch.scalar is not None else self.sql.scalar(branch.node).is_present
            else:
                scalar = branch.scalar
                if scalar is None and op is Operator.CONTAINS:
                    tree, scalar, more = self.sql.leaves(branch.node, of_array=False)
                    froms, guards = (*froms, tree), (*guards, *more)
                elif scalar is None:
                    scalar = self.sql.scalar(branch.node)
                test = self._scalar_test(condition, op, scalar)
            tests.append(_exists(froms, (*guards, test)) if froms else test)
        if not tests:
            return false()
        return func.coalesce(or_(*tests), false())

    def branches(self, segments: Sequence[Any], document: Document) -> list[Branch]:
        root = segments[0]
        assert isinstance(root, Key)
        if root.name in document.columns:
            # Profile and device fields read from columns are plain values: nothing is inside.
            return [Branch(scalar=document.columns[root.name])] if len(segments) == 1 else []
        sql = self.sql
        branches = [Branch(node=sql.key(sql.root(document.json), root.name))]
        last = len(segments) - 1
        for i, segment in enumerate(segments[1:], start=1):
            reached: list[Branch] = []
            for b in branches:
                match segment:
                    case Key(name):
                        reached.append(Branch(b.froms, b.guards, sql.key(b.node, name)))
                    case Index(position):
                        reached.append(Branch(b.froms, b.guards, sql.index(b.node, position)))
                    case AnyElement() if i == last:
                        tree, scalar, guards = sql.leaves(b.node, of_array=True)
                        reached.append(Branch((*b.froms, tree), (*b.guards, *guards), scalar=scalar))
                    case AnyElement():
                        each, element, guards = sql.elements(b.node)
                        reached.append(Branch((*b.froms, each), (*b.guards, *guards), element))
                    case OptionalKey(name):
                        each, element, guards = sql.elements(b.node)
                        reached.append(Branch((*b.froms, each), (*b.guards, *guards), sql.key(element, name)))
                        reached.append(Branch(b.froms, b.guards, sql.key(b.node, name)))
            branches = reached
        return branches

    def _scalar_test(self, condition: AttributeCondition, op: Operator, scalar: Scalar) -> ColumnElement[bool]:
        if op is Operator.CONTAINS:
            return _matches(parse_pattern(_pattern_text(condition.value)), self._string_form(scalar))
        if op is Operator.EQ:
            wanted = as_number(condition.value)
            if wanted is not None:
                return self._number(scalar) == wanted
            return self._string_form(scalar) == string_form(condition.value)
        if op in (Operator.GT, Operator.LT, Operator.GTE, Operator.LTE):
            bound = as_number(condition.value)
            number = self._number(scalar)
            return {
                Operator.GT: number > bound,
                Operator.LT: number < bound,
                Operator.GTE: number >= bound,
                Operator.LTE: number <= bound,
            }[op]
        stamp, valid = self.timestamp(scalar)
        if op is Operator.IS_TIMESTAMP:
            return valid
        if op is Operator.TS_BEFORE_RELATIVE:
            return and_(valid, stamp < relative_threshold(condition, self.now))
        if op is Operator.TS_AFTER_RELATIVE:
            return and_(valid, stamp > relative_threshold(condition, self.now))
        at = _unix(parse_instant(condition.value))
        if op is Operator.TS_BEFORE_DATE:
            return and_(valid, stamp < at)
        if op is Operator.TS_AFTER_DATE:
            return and_(valid, stamp > at)
        assert op is Operator.TS_BETWEEN
        return and_(valid, stamp >= at, stamp <= _unix(parse_instant(condition.value2)))

    def timestamp(self, scalar: Scalar) -> tuple[ColumnElement[Any], ColumnElement[bool]]:
        """The value as unix seconds (values.as_timestamp), and whether it is a valid timestamp."""
        sql = self.sql
        stamp = case(
            (scalar.is_number, sql.truncate(scalar.number)),
            (and_(scalar.is_string, sql.is_digits_text(scalar.text)), sql.text_integer(scalar.text)),
            else_=null(),
        )
        return stamp, and_(stamp > MIN_TIMESTAMP, stamp < MAX_TIMESTAMP)

    def _number(self, scalar: Scalar) -> ColumnElement[Any]:
        sql = self.sql
        return case(
            (scalar.is_number, scalar.number),
            (and_(scalar.is_string, sql.is_numeric_text(scalar.text)), sql.text_number(scalar.text)),
            else_=null(),
        )

    def _string_form(self, scalar: Scalar) -> ColumnElement[Any]:
        return case(
            (scalar.is_string, self.sql.fold(scalar.text)),
            (scalar.is_true, literal("true")),
            (scalar.is_false, literal("false")),
            (scalar.is_number, self.sql.number_text(scalar.number)),
            else_=null(),
        )

    def _filters(self, filters: Sequence[AttributeCondition], document: Document) -> list[ColumnElement[bool]]:
        return [self.attribute(item, document) for item in filters]

    # Events, devices, relationships, segments

    def activity(self, condition: _Activity) -> ColumnElement[bool]:
        event = events.alias()
        start, start_included, end = activity_window(condition.window, self.now)
        where = [
            event.c.workspace_id == self.workspace_id,
            event.c.type == EVENT_TYPES[type(condition)].value,
            _matches(parse_name_pattern(condition.name), self.sql.fold(event.c.name)),
        ]
        if start is not None:
            where.append(event.c.timestamp >= start if start_included else event.c.timestamp > start)
        if end is not None:
            where.append(event.c.timestamp <= end)
        where += self._filters(condition.filters, Document(event.c.data))
        positive = _counted(condition.count, event, where, person=event.c.cio_id)
        if condition.performed:
            return positive
        negative = not_(positive)
        if condition.window is not None and condition.window.within_days is not None:
            negative = and_(negative, self._profile_is_older_than(timedelta(days=condition.window.within_days)))
        return negative

    def _profile_is_older_than(self, age: timedelta) -> ColumnElement[bool]:
        """§3.5.3: the profile's creation, or its earliest event, is at least `age` ago."""
        cutoff = self.now - age
        first = events.alias()
        return or_(
            people.c.created_at <= cutoff,
            exists().where(
                first.c.workspace_id == self.workspace_id,
                first.c.cio_id == people.c.cio_id,
                first.c.timestamp <= cutoff,
            ),
        )

    def device(self, condition: DeviceCondition) -> ColumnElement[bool]:
        device = devices.alias()
        document = self.device_document(device)
        found = exists().where(
            device.c.workspace_id == self.workspace_id,
            device.c.cio_id == people.c.cio_id,
            *self._filters(condition.filters, document),
        )
        return found if condition.exists else not_(found)

    def device_document(self, device: FromClause) -> Document:
        """What device filters read: the device's columns over its attributes."""
        return Document(
            device.c.attributes,
            {
                "platform": text_column(device.c.platform),
                "last_status": text_column(device.c.last_status),
                "token": text_column(device.c.token),
                "last_used": number_column(self.sql.epoch(device.c.last_used)),
            },
        )

    def object_document(self, thing: FromClause) -> Document:
        """What object filters read: the object's attributes, and its object_id."""
        return Document(thing.c.attributes, {"object_id": text_column(thing.c.object_id)})

    def relationship(self, condition: RelationshipCondition) -> ColumnElement[bool]:
        link, thing = relationships.alias(), objects.alias()
        joined = link.join(
            thing, and_(thing.c.workspace_id == link.c.workspace_id, thing.c.cio_object_id == link.c.cio_object_id)
        )
        object_document = self.object_document(thing)
        found = _exists(
            (joined,),
            (
                link.c.workspace_id == self.workspace_id,
                link.c.cio_id == people.c.cio_id,
                thing.c.type_id == condition.object_type_id,
                *self._filters(condition.object_filters, object_document),
                *self._filters(condition.relationship_filters, Document(link.c.attributes)),
            ),
        )
        return found if condition.exists else not_(found)

    def message(self, condition: MessageCondition) -> ColumnElement[bool]:
        """Deliveries of the person that reached the metric, counted; see evaluate.counted_deliveries."""
        sql = self.sql
        delivery = deliveries.alias()
        where = [
            delivery.c.workspace_id == self.workspace_id,
            delivery.c.channel == condition.channel.value,
            sql.scalar(sql.key(sql.root(delivery.c.milestones), condition.metric.value)).is_present,
        ]
        ref = condition.message
        if not isinstance(ref, str):
            if not is_of_message(ref, ref.transactional_message_id):
                where.append(false())  # a campaign's (or broadcast's...) message: no delivery has one yet
            elif ref.transactional_message_id is not None:
                where.append(delivery.c.transactional_message_id == ref.transactional_message_id)
        if condition.link is not None:
            report = delivery_reports.alias()
            href = sql.scalar(sql.key(sql.root(report.c.data), "href"))
            where.append(
                exists().where(
                    report.c.workspace_id == self.workspace_id,
                    report.c.delivery_id == delivery.c.id,
                    report.c.metric == "clicked",
                    href.is_string,
                    _matches(link_pattern(condition.link), sql.fold(href.text)),
                )
            )
        found = _counted(condition.count, delivery, where, person=delivery.c.cio_id)
        return not_(found) if condition.negated else found

    def segment(self, condition: SegmentCondition) -> ColumnElement[bool]:
        assert self.memberships is not None, "segment conditions need memberships: pass a (cio_id, segment_id) selectable"
        member = self.memberships
        found = exists().where(member.c.cio_id == people.c.cio_id, member.c.segment_id == condition.segment_id)
        return found if condition.is_member else not_(found)


def _exists(froms: Sequence[FromClause], where: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """EXISTS over FROM items joined in order; later items may read earlier ones (json_each of
    an element found by the previous json_each), which both databases allow for functions."""
    joined = froms[0]
    for item in froms[1:]:
        joined = joined.join(item, true())
    return exists(select(literal(1)).select_from(joined).where(*where))


def _counted(
    count: Count | None, rows: FromClause, where: list[ColumnElement[bool]], *, person: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Whether the person has a number of `rows` (whose cio_id is `person`) passing `where` that
    `count` accepts."""
    op, n = (count.op, count.n) if count is not None else (CountOp.AT_LEAST, 1)
    correlated = [*where, person == people.c.cio_id]
    if (op is CountOp.AT_LEAST and n == 1) or (op is not CountOp.AT_LEAST and n == 0):
        found = exists(select(literal(1)).select_from(rows).where(*correlated))
        return found if op is CountOp.AT_LEAST else not_(found)
    if op is CountOp.AT_LEAST and n == 0:
        return true()
    if op is CountOp.AT_LEAST or op is CountOp.EXACTLY:
        # Only people with rows can pass: count everyone's in one pass over the rows, not once per
        # person (a correlated count is a subquery per person of the workspace).
        enough = func.count() >= n if op is CountOp.AT_LEAST else func.count() == n
        counted_people = select(person).select_from(rows).where(*where, person.is_not(None)).group_by(person).having(enough)
        return people.c.cio_id.in_(counted_people)
    counted = select(func.count()).select_from(rows).where(*correlated).scalar_subquery()
    return counted <= n


def _matches(pattern: Pattern, folded: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL for Pattern.matches on already-folded text: LIKE per unanchored term, = per exact one."""
    alternatives = []
    for terms in pattern.alternatives:
        tests = []
        for term in terms:
            if term.is_exact:
                tests.append(folded == term.pieces[0])
            else:
                like = "%" + "%".join(_escape_like(piece) for piece in term.pieces) + "%"
                tests.append(folded.like(like, escape="\\"))
        alternatives.append(and_(*tests))
    return or_(*alternatives)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _pattern_text(value: Any) -> str:
    return value if isinstance(value, str) else str(string_form(value))


def _unix(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds()


