"""Re-checks scheduled in SQL for a whole segment are each person's next_change: random
time-dependent conditions over random people, stored in the real tables, on whichever database
the suite runs (the strategies of test_agreement.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Connection

from tests.factories.segments import event, facts, new_workspace_id, store_people
from tests.segments.test_agreement import DAY, NOW, NOW_UNIX, PersonFacts, conditions, people
from tidings.db import Database
from tidings.db.schema import segment_rechecks
from tidings.segments import condition_reads, next_change, parse_condition
from tidings.segments.conditions import And, Condition, Not, Or
from tidings.segments.settled import is_settled
from tidings.segments.build import schedule_rechecks
from tidings.segments.schedule import InstantsUnknown, due_rechecks

SEGMENT_ID = 7


def scheduled(conn: Connection, workspace_id: int) -> dict[str, Any]:
    rows = conn.execute(
        select(segment_rechecks.c.cio_id, segment_rechecks.c.due_at).where(
            segment_rechecks.c.workspace_id == workspace_id, segment_rechecks.c.segment_id == SEGMENT_ID
        )
    )
    return {row.cio_id: row.due_at for row in rows}


def _prunes(condition: Condition) -> bool:
    """Whether some and/or group of `condition` has both settled children and time-dependent ones."""
    match condition:
        case And(children) | Or(children):
            mixed = any(is_settled(c) for c in children) and not all(is_settled(c) for c in children)
            return mixed or any(_prunes(c) for c in children)
        case Not(child):
            return _prunes(child)
    return False


def test_sql_schedules_what_next_change_computes(database: Database) -> None:
    placed = 0
    pruned = 0

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(population=people(), documents=st.lists(conditions, min_size=4, max_size=4))
    def check(population: list[PersonFacts], documents: list[dict[str, Any]]) -> None:
        nonlocal placed, pruned
        with database.connect() as conn:
            transaction = conn.begin()
            try:
                workspace_id = new_workspace_id(conn)
                store_people(conn, workspace_id=workspace_id, people_facts=population)
                for document in documents:
                    condition = parse_condition(document)
                    if not condition_reads(condition).is_time_dependent:
                        continue
                    try:
                        due_rechecks(condition, workspace_id=workspace_id, segment_id=SEGMENT_ID, now=NOW, dialect=conn.dialect.name)
                    except InstantsUnknown:
                        continue
                    placed += 1
                    pruned += _prunes(condition)
                    schedule_rechecks(conn, workspace_id=workspace_id, segment_id=SEGMENT_ID, condition=condition, now=NOW)
                    expected = {
                        p.cio_id: when for p in population if (when := next_change(condition, p, now=NOW)) is not None
                    }
                    assert scheduled(conn, workspace_id) == expected, document
            finally:
                transaction.rollback()

    check()
    assert placed >= 50, placed
    assert pruned >= 15, pruned  # groups whose settled children decide for some people


def test_a_condition_through_arrays_is_scheduled_in_batches(conn: Connection) -> None:
    workspace_id = new_workspace_id(conn)
    person = facts("p1", attributes={"logins": [NOW_UNIX - DAY, NOW_UNIX - 3 * DAY]})
    store_people(conn, workspace_id=workspace_id, people_facts=[person])
    condition = parse_condition(
        {"type": "attribute", "field": "logins[]", "operator": "ts_after_relative", "value": 2, "direction": "ago"}
    )

    schedule_rechecks(conn, workspace_id=workspace_id, segment_id=SEGMENT_ID, condition=condition, now=NOW)

    assert scheduled(conn, workspace_id) == {"p1": next_change(condition, person, now=NOW)}


def test_an_event_window_schedules_the_oldest_occurrence_leaving(conn: Connection) -> None:
    workspace_id = new_workspace_id(conn)
    person = facts("p1", events=(event("buy", NOW - timedelta(days=3, microseconds=5)), event("buy", NOW - timedelta(days=1))))
    store_people(conn, workspace_id=workspace_id, people_facts=[person])
    condition = parse_condition({"type": "event", "name": "buy", "window": {"within_days": 7}})

    schedule_rechecks(conn, workspace_id=workspace_id, segment_id=SEGMENT_ID, condition=condition, now=NOW)

    assert scheduled(conn, workspace_id) == {"p1": NOW + timedelta(days=4, microseconds=-5)}


GROUP = {
    "type": "and",
    "children": [
        {"type": "attribute", "field": "plan", "operator": "eq", "value": "pro"},
        {"type": "event", "name": "buy", "window": {"within_days": 7}},
    ],
}


def test_an_and_group_schedules_only_where_its_other_rules_hold(conn: Connection) -> None:
    """A free-plan buyer's purchase leaving the window cannot make them match: no re-check."""
    workspace_id = new_workspace_id(conn)
    bought = (event("buy", NOW - timedelta(days=3)),)
    population = [
        facts("pro", attributes={"plan": "pro"}, events=bought),
        facts("free", attributes={"plan": "free"}, events=bought),
    ]
    store_people(conn, workspace_id=workspace_id, people_facts=population)
    condition = parse_condition(GROUP)

    schedule_rechecks(conn, workspace_id=workspace_id, segment_id=SEGMENT_ID, condition=condition, now=NOW)

    assert scheduled(conn, workspace_id) == {"pro": NOW + timedelta(days=4)}
    assert [next_change(condition, p, now=NOW) for p in population] == [NOW + timedelta(days=4), None]


def test_an_or_group_schedules_only_where_its_other_rules_do_not_already_hold(conn: Connection) -> None:
    """A pro matches whatever their purchases do: only the free-plan buyer is re-checked."""
    workspace_id = new_workspace_id(conn)
    bought = (event("buy", NOW - timedelta(days=3)),)
    population = [
        facts("pro", attributes={"plan": "pro"}, events=bought),
        facts("free", attributes={"plan": "free"}, events=bought),
    ]
    store_people(conn, workspace_id=workspace_id, people_facts=population)
    condition = parse_condition({**GROUP, "type": "or"})

    schedule_rechecks(conn, workspace_id=workspace_id, segment_id=SEGMENT_ID, condition=condition, now=NOW)

    assert scheduled(conn, workspace_id) == {"free": NOW + timedelta(days=4)}
    assert [next_change(condition, p, now=NOW) for p in population] == [None, NOW + timedelta(days=4)]


def test_a_segment_sibling_does_not_prune_rechecks(conn: Connection) -> None:
    """Another segment's membership can change in a build, which re-evaluates no other segment:
    the re-check stays."""
    workspace_id = new_workspace_id(conn)
    person = facts("p1", events=(event("buy", NOW - timedelta(days=3)),))
    store_people(conn, workspace_id=workspace_id, people_facts=[person])
    condition = parse_condition(
        {"type": "and", "children": [{"type": "segment", "segment_id": 3}, GROUP["children"][1]]}
    )

    schedule_rechecks(conn, workspace_id=workspace_id, segment_id=SEGMENT_ID, condition=condition, now=NOW)

    assert scheduled(conn, workspace_id) == {"p1": NOW + timedelta(days=4)} == {"p1": next_change(condition, person, now=NOW)}
