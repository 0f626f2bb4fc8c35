"""load_person_facts: reads only what a condition needs, and the evaluator agrees with SQL on it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Connection

from tests.factories.segments import device, event, facts, new_workspace_id, related, store_people
from tests.segments.cases import NOW, attr
from tidings.people import EventType
from tidings.segments import condition_reads, count_matching, evaluate, load_person_facts, parse_condition

PERSON = facts(
    "p1",
    id="42",
    email="ann@example.com",
    attributes={"plan": "pro"},
    created_at=NOW - timedelta(days=3),
    events=(
        event("signup", NOW - timedelta(days=30)),
        event("buy", NOW - timedelta(days=1), {"price": 5}),
        event("Buy", NOW, type="page"),
    ),
    devices=(device("t1", model="X"),),
    relationships=(related("acme", attributes={"plan": "premium"}, relationship={"role": "admin"}), related("c", type_id=2)),
)


def test_missing_person_is_none(conn: Connection) -> None:
    workspace_id = new_workspace_id(conn)
    condition = parse_condition(attr("plan", "exists"))
    assert load_person_facts(conn, workspace_id=workspace_id, cio_id="nobody", needs=condition_reads(condition)) is None


def test_loads_only_what_the_condition_reads(conn: Connection) -> None:
    workspace_id = new_workspace_id(conn)
    store_people(conn, workspace_id=workspace_id, people_facts=[PERSON])
    condition = parse_condition({"type": "and", "children": [attr("plan", "eq", "pro"), {"type": "event", "name": "BUY"}]})
    loaded = load_person_facts(conn, workspace_id=workspace_id, cio_id="p1", needs=condition_reads(condition))
    assert loaded is not None
    assert (loaded.id, loaded.email, dict(loaded.attributes)) == ("42", "ann@example.com", {"plan": "pro"})
    # No condition filters on the event's data, so it is not read.
    assert [(e.type, e.name, dict(e.data)) for e in loaded.events] == [(EventType.EVENT, "buy", {})]
    assert loaded.devices == () and loaded.relationships == () and loaded.first_event_at is None


def test_loads_event_data_when_a_filter_reads_it(conn: Connection) -> None:
    workspace_id = new_workspace_id(conn)
    store_people(conn, workspace_id=workspace_id, people_facts=[PERSON])
    condition = parse_condition({"type": "event", "name": "buy", "filters": [attr("price", "gt", 1)]})
    loaded = load_person_facts(conn, workspace_id=workspace_id, cio_id="p1", needs=condition_reads(condition))
    assert loaded is not None
    assert [(e.name, dict(e.data)) for e in loaded.events] == [("buy", {"price": 5})]
    assert evaluate(condition, loaded, now=NOW)


def test_loads_devices_relationships_of_the_type_and_first_event(conn: Connection) -> None:
    workspace_id = new_workspace_id(conn)
    store_people(conn, workspace_id=workspace_id, people_facts=[PERSON])
    condition = parse_condition({"type": "and", "children": [
        {"type": "device"},
        {"type": "relationship", "object_type_id": 1},
        {"type": "page", "name": "nothing", "performed": False, "window": {"within_days": 7}},
    ]})
    loaded = load_person_facts(
        conn, workspace_id=workspace_id, cio_id="p1", needs=condition_reads(condition), segment_ids=frozenset({4})
    )
    assert loaded is not None
    assert [d.token for d in loaded.devices] == ["t1"] and dict(loaded.devices[0].attributes) == {"model": "X"}
    assert [(r.object.object_id, dict(r.object.attributes), dict(r.attributes)) for r in loaded.relationships] == [
        ("acme", {"plan": "premium"}, {"role": "admin"})
    ]
    assert loaded.first_event_at == NOW - timedelta(days=30)
    assert loaded.segment_ids == {4}
    # The profile is 3 days old but a back-dated event makes it 30: the negative window can judge it.
    assert evaluate(condition, loaded, now=NOW)
    assert count_matching(conn, workspace_id=workspace_id, condition=condition, now=NOW) == 1
