"""Which parts of a condition time cannot change: they decide whether a re-check is needed at all.

A re-check is only worth scheduling where time can flip the whole answer. In an `and` group, a
settled child that fails keeps the group false whatever time does; in an `or` group, a settled
child that holds keeps it true. Only a change to the person's data can move a settled child, and
such a change re-evaluates the person (and asks for a fresh re-check) anyway. Both evaluators
prune re-checks with this rule: `evaluate.next_change` per person, `schedule.due_rechecks` in SQL.

A condition is settled when time alone cannot change it (no relative timestamp, no `within_days`
window) and it names no segment: another segment's membership can change in a build, which
re-evaluates no other segment, so a re-check stays the way such a change is noticed.
"""

from __future__ import annotations

from tidings.segments.conditions import (
    And,
    AttributeCondition,
    Condition,
    DeviceCondition,
    EventCondition,
    MessageCondition,
    Not,
    Operator,
    Or,
    PageCondition,
    RelationshipCondition,
    ScreenCondition,
)

__all__ = ["is_settled"]

_RELATIVE = (Operator.TS_BEFORE_RELATIVE, Operator.TS_AFTER_RELATIVE)


def is_settled(condition: Condition) -> bool:
    """Whether only a change to the person's own data can change `condition`'s answer."""
    match condition:
        case And(children) | Or(children):
            return all(is_settled(child) for child in children)
        case Not(child):
            return is_settled(child)
        case AttributeCondition():
            return condition.operator not in _RELATIVE
        case EventCondition() | PageCondition() | ScreenCondition():
            within = condition.window is not None and condition.window.within_days is not None
            return not within and _has_no_relative(condition.filters)
        case DeviceCondition():
            return _has_no_relative(condition.filters)
        case RelationshipCondition():
            return _has_no_relative(condition.object_filters + condition.relationship_filters)
        case MessageCondition():
            return True
    return False  # a segment condition


def _has_no_relative(filters: tuple[AttributeCondition, ...]) -> bool:
    return all(f.operator not in _RELATIVE for f in filters)
