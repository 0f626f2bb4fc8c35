"""Loading what conditions read about a batch of people: events only as far back as they matter."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from tests.factories.track import TrackDriver
from tests.segments.test_agreement import NOW, conditions, people
from tests.segments.test_live import PRO, built, members
from tests.factories.segments import new_workspace_id, store_people
from tidings.clock import ManualClock, to_unix
from tidings.db import Database
from tidings.people import EventType
from tidings.segments import PersonFacts, evaluate, load_people_facts, matchtime, next_change, parse_condition
from tidings.segments.fact_queries import _events_statement
from tidings.segments.reads import condition_reads, event_horizons

EVENT = EventType.EVENT
IOS = {"type": "device", "filters": [{"type": "attribute", "field": "platform", "operator": "eq", "value": "ios"}]}


def horizons(*documents: dict[str, Any]) -> dict[tuple[EventType, str], int | None]:
    return event_horizons(parse_condition(document) for document in documents)


def activity(name: str, **rest: Any) -> dict[str, Any]:
    return {"type": "event", "name": name, **rest}


def test_a_name_only_counted_in_the_past_n_days_is_read_that_far_back() -> None:
    assert horizons(activity("buy", window={"within_days": 7}), activity("buy", window={"within_days": 30})) == {
        (EVENT, "buy"): 30
    }


def test_a_name_any_condition_reads_without_a_window_is_read_in_full() -> None:
    assert horizons(activity("buy", window={"within_days": 7}), activity("buy")) == {(EVENT, "buy"): None}
    assert horizons(activity("buy", window={"since": "2026-01-01"})) == {(EVENT, "buy"): None}


def test_not_performed_and_relative_filters_read_every_occurrence() -> None:
    """The matchtime of "not performed in N days" is when the last occurrence left the window, and
    a filter relative to now can flip for an occurrence outside it."""
    assert horizons(activity("buy", performed=False, window={"within_days": 7})) == {(EVENT, "buy"): None}
    relative = {"field": "at", "operator": "ts_after_relative", "value": 1, "direction": "ago"}
    assert horizons(activity("buy", window={"within_days": 7}, filters=[relative])) == {(EVENT, "buy"): None}


def test_negated_and_grouped_conditions_keep_their_horizons() -> None:
    document = {
        "type": "or",
        "children": [
            {"type": "not", "child": activity("buy", window={"within_days": 3})},
            {"type": "page", "name": "Home", "window": {"within_days": 14}},
        ],
    }
    assert horizons(document) == {(EVENT, "buy"): 3, (EventType.PAGE, "Home"): 14}


def test_the_events_statement_compiles_for_both_dialects() -> None:
    statement = _events_statement(((EVENT, "buy", None), (EVENT, "view*", 30)), True)
    assert "json_each" in statement.sql_for(sqlite.dialect())
    assert "%(since_1)s" in statement.sql_for(postgresql.psycopg.dialect())


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(population=people(), documents=st.lists(conditions, min_size=3, max_size=3))
def test_reading_events_from_their_horizons_changes_no_answer(
    database: Database, population: list[PersonFacts], documents: list[dict[str, Any]]
) -> None:
    """Loaded from the horizons at now, people match, flip and get matchtimes as when all their
    events are loaded, for any conditions read together."""
    parsed = [parse_condition(document) for document in documents]
    needs = condition_reads(parsed[0]) | condition_reads(parsed[1]) | condition_reads(parsed[2])
    with database.connect() as conn:
        transaction = conn.begin()
        try:
            workspace_id = new_workspace_id(conn)
            store_people(conn, workspace_id=workspace_id, people_facts=population)
            cio_ids = [person.cio_id for person in population]
            everything = load_people_facts(conn, workspace_id=workspace_id, cio_ids=cio_ids, needs=needs)
            bounded = load_people_facts(
                conn, workspace_id=workspace_id, cio_ids=cio_ids, needs=needs, horizons=event_horizons(parsed), now=NOW
            )
        finally:
            transaction.rollback()
    assert bounded.keys() == everything.keys()
    for cio_id, full in everything.items():
        for condition in parsed:
            answer = evaluate(condition, full, now=NOW)
            assert evaluate(condition, bounded[cio_id], now=NOW) == answer
            assert next_change(condition, bounded[cio_id], now=NOW) == next_change(condition, full, now=NOW)
            if answer:
                assert matchtime(condition, bounded[cio_id], now=NOW) == matchtime(condition, full, now=NOW)


async def test_occurrences_inside_the_window_still_count_with_a_new_one(track: TrackDriver, clock: ManualClock) -> None:
    """Someone with an older purchase inside the 7 days enters "twice in 7 days" with a new one;
    someone whose older purchase is 8 days old does not, until a second new one."""
    now = to_unix(clock.now())
    await track.identify("recent")
    await track.event("recent", "purchase", timestamp=now - 6 * 86400)
    await track.identify("old")
    await track.event("old", "purchase", timestamp=now - 8 * 86400)
    await track.processed()
    twice = await built(track, activity("purchase", count={"op": "at_least", "n": 2}, window={"within_days": 7}), name="Twice")
    assert await members(track, twice) == []

    await track.event("recent", "purchase")
    await track.event("old", "purchase")
    await track.processed()
    assert await members(track, twice) == ["recent"]

    await track.event("old", "purchase")
    await track.processed()
    assert await members(track, twice) == ["old", "recent"]


async def test_a_change_only_a_naming_segment_reads_still_sees_the_named_membership(
    track: TrackDriver, clock: ManualClock
) -> None:
    """Only the membership of segments an evaluation can consult is read: a device change
    re-evaluates "Pro on iOS" alone, which must still see that the person is in "Pro"."""
    pro = await built(track, PRO)
    pro_on_ios = await built(track, {"type": "and", "children": [{"type": "segment", "segment_id": pro}, IOS]}, name="Pro on iOS")
    await track.identify("1", plan="pro")
    await track.identify("2", plan="free")
    await track.processed()
    assert await members(track, pro) == ["1"]

    clock.advance(seconds=1)  # the people are no longer new: only what changed is re-evaluated
    for person in ("1", "2"):
        await track.call("PUT", f"/api/v1/customers/{person}/devices", {"device": {"id": f"tok{person}", "platform": "ios"}})
    await track.processed()
    assert await members(track, pro_on_ios) == ["1"]

    await track.call("DELETE", "/api/v1/customers/1/devices/tok1")
    await track.processed()
    assert await members(track, pro_on_ios) == [] and await members(track, pro) == ["1"]
