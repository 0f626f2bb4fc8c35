"""The per-person evaluator: every operator and condition kind, next_change and condition_reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.segments import device, event, facts, related
from tests.segments.cases import CASES, DAY, NOW, NOW_UNIX, Case, attr
from tidings.clock import ManualClock
from tidings.people import EventType
from tidings.segments import Reads, condition_reads, evaluate, next_change, parse_condition


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_evaluate(case: Case) -> None:
    assert evaluate(parse_condition(case.document), case.person, now=NOW) is case.expected


class TestNextChange:
    def test_after_days_ago_ends_when_the_value_ages_out(self) -> None:
        condition = parse_condition(attr("seen", "ts_after_relative", 7, direction="ago"))
        person = facts(attributes={"seen": NOW_UNIX - 2 * DAY})
        change = next_change(condition, person, now=NOW)
        assert change == NOW + timedelta(days=5)
        assert evaluate(condition, person, now=change - timedelta(microseconds=1))
        assert not evaluate(condition, person, now=change)

    def test_before_days_ago_starts_just_after_the_boundary(self) -> None:
        condition = parse_condition(attr("seen", "ts_before_relative", 7, direction="ago"))
        person = facts(attributes={"seen": NOW_UNIX - 2 * DAY})
        change = next_change(condition, person, now=NOW)
        assert change is not None and NOW + timedelta(days=5) < change <= NOW + timedelta(days=5, seconds=1)
        assert evaluate(condition, person, now=change)

    def test_a_clock_walking_through_the_changes_sees_every_flip(self) -> None:
        clock = ManualClock(NOW)
        condition = parse_condition(attr("renews", "ts_before_relative", 7, direction="from_now"))
        person = facts(attributes={"renews": NOW_UNIX + 30 * DAY})
        assert not evaluate(condition, person, now=clock.now())
        change = next_change(condition, person, now=clock.now())
        assert change is not None
        clock.advance(change - clock.now())
        assert evaluate(condition, person, now=clock.now())
        assert next_change(condition, person, now=clock.now()) is None

    def test_window_entry_and_exit(self) -> None:
        condition = parse_condition({"type": "event", "name": "visit", "window": {"within_days": 3}})
        person = facts(events=(event("visit", NOW - timedelta(days=1)), event("visit", NOW + timedelta(hours=5))))
        assert next_change(condition, person, now=NOW) == NOW + timedelta(hours=5)
        later = NOW + timedelta(hours=6)
        assert next_change(condition, person, now=later) == NOW + timedelta(days=2)

    def test_profile_age_transition(self) -> None:
        condition = parse_condition({"type": "event", "name": "buy", "performed": False, "window": {"within_days": 7}})
        person = facts(created_at=NOW - timedelta(days=2))
        assert not evaluate(condition, person, now=NOW)
        change = next_change(condition, person, now=NOW)
        assert change == NOW + timedelta(days=5)
        assert evaluate(condition, person, now=change)

    def test_time_independent_conditions_have_none(self) -> None:
        condition = parse_condition({"type": "and", "children": [attr("a", "eq", 1), {"type": "event", "name": "x"}]})
        assert next_change(condition, facts(attributes={"a": 1}, events=(event("x", NOW),)), now=NOW) is None

    def test_device_and_relationship_filters_count(self) -> None:
        condition = parse_condition({"type": "or", "children": [
            {"type": "device", "filters": [attr("last_used", "ts_after_relative", 1, direction="ago")]},
            {"type": "relationship", "object_type_id": 1,
             "relationship_filters": [attr("since", "ts_after_relative", 10, direction="ago")]},
        ]})
        person = facts(
            devices=(device(last_used=NOW - timedelta(hours=12)),),
            relationships=(related("o", relationship={"since": NOW_UNIX - 9 * DAY}),),
        )
        assert next_change(condition, person, now=NOW) == NOW + timedelta(hours=12)


class TestConditionReads:
    def test_collects_what_each_kind_reads(self) -> None:
        condition = parse_condition({"type": "and", "children": [
            attr("plan.tier", "eq", "pro"),
            {"type": "not", "child": attr("email", "exists")},
            {"type": "event", "name": "buy|sell", "filters": [attr("x", "exists")]},
            {"type": "page", "name": "https://x/*"},
            {"type": "device"},
            {"type": "relationship", "object_type_id": 4},
            {"type": "segment", "segment_id": 9},
            {"type": "message", "channel": "email", "metric": "sent"},
        ]})
        reads = condition_reads(condition)
        assert reads.attributes == {"plan", "email"}
        assert reads.events == {(EventType.EVENT, "buy|sell"), (EventType.PAGE, "https://x/*")}
        assert reads.has_devices and reads.has_messages
        assert reads.object_type_ids == {4} and reads.segment_ids == {9}
        assert not reads.is_time_dependent and not reads.has_profile_age

    def test_event_names_are_matched_as_patterns(self) -> None:
        reads = condition_reads(parse_condition({"type": "event", "name": "Buy|si*"}))
        assert reads.reads_event(EventType.EVENT, "buy")
        assert reads.reads_event(EventType.EVENT, "reside")
        assert not reads.reads_event(EventType.EVENT, "buyer")
        assert not reads.reads_event(EventType.PAGE, "buy")

    def test_time_dependence_and_profile_age(self) -> None:
        reads = condition_reads(parse_condition({"type": "event", "name": "x", "performed": False, "window": {"within_days": 3}}))
        assert reads.is_time_dependent and reads.has_profile_age
        assert reads.reads_event(EventType.SCREEN, "anything")  # any event can age the profile
        assert condition_reads(parse_condition(attr("t", "ts_after_relative", 1, direction="ago"))).is_time_dependent

    def test_reads_combine(self) -> None:
        assert (Reads(attributes=frozenset({"a"})) | Reads(has_devices=True)) == Reads(attributes=frozenset({"a"}), has_devices=True)
