"""The condition language, as msgspec Structs: one tagged union every evaluator reads.

A condition document is JSON. Every node names its kind in `"type"`:

    {"type": "and", "children": [
        {"type": "attribute", "field": "plan", "operator": "eq", "value": "pro"},
        {"type": "event", "name": "purchase", "performed": true, "window": {"within_days": 30}}]}

The Structs only describe the shape; `parse_condition` also checks the rules the shape cannot
express (a value the operator needs, a well-formed path) and names the bad node.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias

import msgspec

__all__ = [
    "And",
    "AttributeCondition",
    "Condition",
    "Count",
    "CountOp",
    "DeviceCondition",
    "Direction",
    "EventCondition",
    "MessageChannel",
    "MessageCondition",
    "MessageLink",
    "MessageMetric",
    "MessageRef",
    "Not",
    "Operator",
    "Or",
    "PageCondition",
    "RelationshipCondition",
    "ScreenCondition",
    "SegmentCondition",
    "TimeUnit",
    "Window",
]

Scalar: TypeAlias = str | int | float | bool | None


class Operator(StrEnum):
    """Attribute operators (spec §3.2). The negative ones are exact negations of a positive one,
    so an absent attribute matches `neq`, `does_not_contain` and `is_not_timestamp`."""

    EXISTS = "exists"
    DOES_NOT_EXIST = "does_not_exist"
    EQ = "eq"
    NEQ = "neq"
    CONTAINS = "contains"
    DOES_NOT_CONTAIN = "does_not_contain"
    GT = "gt"
    LT = "lt"
    GTE = "gte"
    LTE = "lte"
    IS_TIMESTAMP = "is_timestamp"
    IS_NOT_TIMESTAMP = "is_not_timestamp"
    TS_BEFORE_RELATIVE = "ts_before_relative"
    TS_AFTER_RELATIVE = "ts_after_relative"
    TS_BEFORE_DATE = "ts_before_date"
    TS_AFTER_DATE = "ts_after_date"
    TS_BETWEEN = "ts_between"


class Direction(StrEnum):
    AGO = "ago"
    FROM_NOW = "from_now"


class TimeUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


class CountOp(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    EXACTLY = "exactly"


class MessageChannel(StrEnum):
    EMAIL = "email"
    SLACK = "slack"
    SMS = "sms"
    WEBHOOK = "webhook"
    IN_APP = "in_app"
    PUSH = "push"


class MessageMetric(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"
    CONVERTED = "converted"
    UNSUBSCRIBED = "unsubscribed"
    SPAMMED = "spammed"
    FAILED = "failed"


class _Struct(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class _Node(_Struct, frozen=True, tag_field="type"):
    pass


class And(_Node, frozen=True, tag="and"):
    """True when every child is (the UI's "All")."""

    children: tuple[Condition, ...]


class Or(_Node, frozen=True, tag="or"):
    """True when at least one child is (the UI's "At least one")."""

    children: tuple[Condition, ...]


class Not(_Node, frozen=True, tag="not"):
    """The API audience filter's negation; the segment builder negates through operators instead."""

    child: Condition


class AttributeCondition(_Node, frozen=True, tag="attribute"):
    """A test on the values a JSON path reaches (spec §3.2, §2.9).

    `field` is a path: `a.b` (child), `a[0]` (element), `a[]` (any element; at the end of a path,
    any value anywhere inside the array), `a?.b` (b of any element when `a` is an array, of `a`
    itself when it is an object). The test holds when any value reached passes it; the negative
    operators hold when the positive one does not. `value` is a string, number or boolean (a
    count of `unit`s for the relative operators, a unix time or ISO 8601 date for the date ones);
    `value2` is the end of `ts_between`.
    """

    field: str
    operator: Operator
    value: Scalar = None
    value2: Scalar = None
    direction: Direction | None = None
    unit: TimeUnit | None = None


class Count(_Struct, frozen=True):
    op: CountOp = CountOp.AT_LEAST
    n: int = 1


class Window(_Struct, frozen=True):
    """Exactly one of: the past `within_days` days (now − N days, now]; `between` two instants,
    both included; `since` an instant, included. Instants are unix seconds or ISO 8601."""

    within_days: int | None = None
    between: tuple[int | str, int | str] | None = None
    since: int | str | None = None


class _ActivityCondition(_Node, frozen=True):
    name: str
    performed: bool = True
    count: Count | None = None
    window: Window | None = None
    filters: tuple[AttributeCondition, ...] = ()


class EventCondition(_ActivityCondition, frozen=True, tag="event"):
    """Has (not) performed an event (spec §3.5).

    `name` matches case-insensitively; `|` separates alternatives, and an alternative with a `*`
    wildcard matches any name containing it (`s*n` matches "lesson"). Counted occurrences are
    those in `window` (default: ever) whose data pass every filter, each filter on the same
    occurrence. `performed: false` is the negation, and with `within_days` it also needs the
    profile to be at least that old (its creation or its earliest event, whichever is first).
    """


class PageCondition(_ActivityCondition, frozen=True, tag="page"):
    """An event condition over page views; `name` is the URL (use `*` for parts of it)."""


class ScreenCondition(_ActivityCondition, frozen=True, tag="screen"):
    """An event condition over screen views; `name` is the screen name."""


class DeviceCondition(_Node, frozen=True, tag="device"):
    """Has (not) a device that passes every filter (spec §3.8). Filter fields are one key each:
    `platform`, `last_used` (a timestamp), `last_status`, `token` or a top-level device attribute."""

    exists: bool = True
    filters: tuple[AttributeCondition, ...] = ()


class RelationshipCondition(_Node, frozen=True, tag="relationship"):
    """Has (not) a relationship to an object of the type where one and the same relationship
    passes every object filter (on the object's attributes, and `object_id`) and every
    relationship filter (spec §3.6). The caller checks that the type is enabled."""

    object_type_id: int
    exists: bool = True
    object_filters: tuple[AttributeCondition, ...] = ()
    relationship_filters: tuple[AttributeCondition, ...] = ()


class SegmentCondition(_Node, frozen=True, tag="segment"):
    """Is (not) in another segment (spec §3.9.1). Evaluators take current memberships as input;
    `validate_segment_references` keeps nesting to one level."""

    segment_id: int
    is_member: bool = msgspec.field(default=True, name="in")


class MessageRef(_Struct, frozen=True):
    """Which messages count; every id given must match. Deliveries record only their
    transactional message so far, so a campaign, action, broadcast or newsletter matches none."""

    transactional_message_id: int | None = None
    campaign_id: int | None = None
    action_id: int | None = None
    broadcast_id: int | None = None
    newsletter_id: int | None = None


class MessageLink(_Struct, frozen=True):
    op: str
    url: str


class MessageCondition(_Node, frozen=True, tag="message"):
    """Has (never) had a message metric (spec §3.7): counts the person's deliveries on `channel`
    (of `message`, or any) that reached the milestone `metric`, and, with `link`, had a click on a
    link whose URL contains (`*`, `+` and `|` patterns) or matches (whole, `*` wildcards) `url`.
    `count` defaults to at least one; `negated` is "has never". tidings does not tell machine
    opens from human ones, so `human_only` counts every open."""

    channel: MessageChannel
    metric: MessageMetric
    message: MessageRef | str = "any"
    negated: bool = False
    human_only: bool = False
    link: MessageLink | None = None
    count: Count | None = None


Condition: TypeAlias = (
    And
    | Or
    | Not
    | AttributeCondition
    | EventCondition
    | PageCondition
    | ScreenCondition
    | DeviceCondition
    | RelationshipCondition
    | SegmentCondition
    | MessageCondition
)
