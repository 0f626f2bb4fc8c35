"""The SQL evaluator: the named cases on the suite's database, and what the queries promise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from tests.factories.segments import event, facts, memberships, new_workspace_id, store_people
from tests.segments.cases import CASES, NOW, Case, attr
from tidings.db.schema import people
from tidings.segments import compile_condition, count_matching, matching_cio_ids, parse_condition


def test_every_case_in_sql(conn: Connection) -> None:
    """One workspace per case, all in one transaction: each case's person alone."""
    wrong = []
    for case in CASES:
        workspace_id = new_workspace_id(conn)
        store_people(conn, workspace_id=workspace_id, people_facts=[case.person])
        found = matching_cio_ids(
            conn,
            workspace_id=workspace_id,
            condition=parse_condition(case.document),
            now=NOW,
            memberships=memberships([case.person]),
        )
        if (found == [case.person.cio_id]) is not case.expected:
            wrong.append(case.name)
    assert wrong == []


@pytest.mark.parametrize("case", [c for c in CASES if "boundary" in c.name or "window" in c.name], ids=lambda c: c.name)
def test_boundary_cases_individually(conn: Connection, case: Case) -> None:
    workspace_id = new_workspace_id(conn)
    store_people(conn, workspace_id=workspace_id, people_facts=[case.person])
    condition = parse_condition(case.document)
    assert count_matching(conn, workspace_id=workspace_id, condition=condition, now=NOW) == int(case.expected)


def test_counts_and_lists_only_the_workspace(conn: Connection) -> None:
    mine, theirs = new_workspace_id(conn), new_workspace_id(conn)
    store_people(conn, workspace_id=mine, people_facts=[facts("b", attributes={"plan": "pro"}), facts("a", attributes={"plan": "PRO"}), facts("c")])
    store_people(conn, workspace_id=theirs, people_facts=[facts("a", attributes={"plan": "pro"}), facts("d", attributes={"plan": "pro"})])
    condition = parse_condition(attr("plan", "eq", "pro"))
    assert matching_cio_ids(conn, workspace_id=mine, condition=condition, now=NOW) == ["a", "b"]
    assert count_matching(conn, workspace_id=mine, condition=condition, now=NOW) == 2


def test_events_of_another_workspace_do_not_count(conn: Connection) -> None:
    mine, theirs = new_workspace_id(conn), new_workspace_id(conn)
    store_people(conn, workspace_id=mine, people_facts=[facts("a")])
    store_people(conn, workspace_id=theirs, people_facts=[facts("a", events=(event("buy", NOW),))])
    condition = parse_condition({"type": "event", "name": "buy"})
    assert count_matching(conn, workspace_id=mine, condition=condition, now=NOW) == 0


def test_the_answer_moves_with_now(conn: Connection) -> None:
    workspace_id = new_workspace_id(conn)
    store_people(conn, workspace_id=workspace_id, people_facts=[facts("a", events=(event("buy", NOW - timedelta(days=2)),))])
    condition = parse_condition({"type": "event", "name": "buy", "window": {"within_days": 3}})
    assert count_matching(conn, workspace_id=workspace_id, condition=condition, now=NOW) == 1
    assert count_matching(conn, workspace_id=workspace_id, condition=condition, now=NOW + timedelta(days=1)) == 0


def test_segment_conditions_need_memberships() -> None:
    with pytest.raises(AssertionError, match="memberships"):
        compile_condition(parse_condition({"type": "segment", "segment_id": 1}), workspace_id=1, now=NOW, dialect="sqlite")


def test_unknown_dialects_are_refused() -> None:
    with pytest.raises(ValueError, match="sqlite or postgresql"):
        compile_condition(parse_condition(attr("a", "exists")), workspace_id=1, now=NOW, dialect="mysql")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_compiles_for_both_dialects(case: Case) -> None:
    """Whichever database the suite runs on, the other dialect's SQL must at least compile."""
    condition = parse_condition(case.document)
    members = memberships([case.person])
    for name, dialect in (("sqlite", sqlite.dialect()), ("postgresql", postgresql.dialect())):
        where = compile_condition(condition, workspace_id=1, now=NOW, dialect=name, memberships=members)
        assert "FROM people" in str(select(people.c.cio_id).where(where).compile(dialect=dialect))
