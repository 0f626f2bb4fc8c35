"""parse_condition: the document format, and errors that name the bad node."""

from __future__ import annotations

from typing import Any

import pytest

from tidings.errors import InvalidInput
from tidings.segments import (
    And,
    AttributeCondition,
    EventCondition,
    InvalidCondition,
    Not,
    Operator,
    Or,
    SegmentCondition,
    parse_condition,
    validate_segment_references,
)


def attr(field: str = "plan", operator: str = "eq", **rest: Any) -> dict[str, Any]:
    return {"type": "attribute", "field": field, "operator": operator, **rest}


def refused(document: Any) -> InvalidCondition:
    with pytest.raises(InvalidCondition) as caught:
        parse_condition(document)
    return caught.value


class TestParse:
    def test_parses_nested_groups_of_every_kind(self) -> None:
        condition = parse_condition(
            {
                "type": "and",
                "children": [
                    attr(value="pro"),
                    {"type": "or", "children": [{"type": "not", "child": {"type": "segment", "segment_id": 3, "in": False}}]},
                    {"type": "event", "name": "purchase", "count": {"op": "at_least", "n": 2}, "window": {"within_days": 30},
                     "filters": [attr("items[].type", value="jacket")]},
                    {"type": "page", "name": "https://example.com/*"},
                    {"type": "screen", "name": "Home", "performed": False},
                    {"type": "device", "filters": [attr("platform", value="ios")]},
                    {"type": "relationship", "object_type_id": 1, "object_filters": [attr("plan", value="premium")],
                     "relationship_filters": [attr("role", value="admin")]},
                    {"type": "message", "channel": "email", "metric": "opened", "message": {"campaign_id": 7}},
                ],
            }
        )
        assert isinstance(condition, And)
        assert condition.children[0] == AttributeCondition(field="plan", operator=Operator.EQ, value="pro")
        assert isinstance(condition.children[1], Or)
        assert condition.children[1].children[0] == Not(SegmentCondition(segment_id=3, is_member=False))
        assert isinstance(condition.children[2], EventCondition)

    def test_error_is_an_invalid_input(self) -> None:
        assert isinstance(refused({"type": "nope"}), InvalidInput)

    @pytest.mark.parametrize(
        ("document", "field", "words"),
        [
            ({"type": "and", "children": [attr(), attr(operator="zz")]}, "children[1].operator", "use one of: exists"),
            ({"type": "and", "children": [attr(value="x"), attr()]}, "children[1].value", "eq needs a value"),
            ({"type": "or", "children": [attr(value="")]}, "children[0].value", "needs a value"),
            ({"type": "and", "children": []}, "children", "at least one condition"),
            ({"type": "and", "children": [{"type": "attribute", "operator": "exists"}]}, "children[0].field", "field is required"),
            ({"type": "nope"}, "type", "not a condition type"),
            ({"field": "a"}, "type", "type is required"),
            (attr(value="x", colour="red"), "colour", "unknown field"),
            (attr("a[x]", "exists"), "field", "index must be a whole number"),
            (attr("a..b", "exists"), "field", "expected a key"),
            (attr('a"b', "exists"), "field", "cannot contain"),
            (attr("_last_visit", "exists"), "field", "internal"),
            (attr(operator="exists", value="x"), "value", "takes no value"),
            (attr(operator="gt", value="many"), "value", "needs a number"),
            (attr(operator="contains", value="a||b"), "value", "empty term"),
            (attr(operator="ts_before_relative", value=3), "direction", "needs a direction"),
            (attr(operator="ts_before_relative", value=-3, direction="ago"), "value", "whole number of days"),
            (attr(operator="ts_after_date", value="yesterday"), "value", "ISO 8601"),
            (attr(operator="ts_between", value="2024-02-01", value2="2024-01-01"), "value2", "must not be before"),
            (attr(operator="eq", value="x", value2="y"), "value2", "takes no value2"),
            ({"type": "event", "name": " "}, "name", "name is needed"),
            ({"type": "event", "name": "a", "window": {}}, "window", "exactly one"),
            ({"type": "event", "name": "a", "window": {"within_days": 0}}, "window.within_days", "from 1"),
            ({"type": "event", "name": "a", "count": {"op": "many"}}, "count.op", "at_least"),
            ({"type": "event", "name": "a", "count": {"n": -1}}, "count.n", "from 0"),
            ({"type": "event", "name": "a", "filters": [attr("x", "zz")]}, "filters[0].operator", "Invalid enum"),
            ({"type": "device", "filters": [attr("os.version", "exists")]}, "filters[0].field", "nested device"),
            ({"type": "relationship", "object_type_id": 0}, "object_type_id", "from 1"),
            ({"type": "segment", "segment_id": "3"}, "segment_id", "Expected `int`"),
            ({"type": "message", "channel": "fax", "metric": "sent"}, "channel", "use one of: email"),
            ({"type": "not", "child": [attr()]}, "child", "Expected `object`"),
        ],
    )
    def test_error_names_the_bad_node(self, document: Any, field: str, words: str) -> None:
        error = refused(document)
        assert error.field == field
        assert words in str(error)

    def test_refuses_groups_nested_too_deep(self) -> None:
        document: dict[str, Any] = attr(value="x")
        for _ in range(11):
            document = {"type": "and", "children": [document]}
        assert "nest at most" in str(refused(document))

    def test_refuses_absurdly_deep_documents_before_decoding(self) -> None:
        document: dict[str, Any] = attr(value="x")
        for _ in range(5000):
            document = {"type": "not", "child": document}
        assert "nest at most" in str(refused(document))

    def test_relative_units_and_dates(self) -> None:
        condition = parse_condition(attr("seen", "ts_after_relative", value=6, unit="hours", direction="ago"))
        assert isinstance(condition, AttributeCondition) and condition.unit == "hours"
        parse_condition(attr("seen", "ts_between", value=1700000000, value2="2024-01-01T00:00:00Z"))


class TestSegmentReferences:
    def references(self, *ids: int) -> Any:
        return parse_condition({"type": "and", "children": [{"type": "segment", "segment_id": i} for i in ids]})

    def test_accepts_references_to_plain_and_manual_segments(self) -> None:
        others = {2: parse_condition(attr(value="x")), 3: None}
        validate_segment_references(self.references(2, 3), segment_id=1, others=others)

    def test_refuses_a_reference_to_itself(self) -> None:
        with pytest.raises(InvalidCondition) as caught:
            validate_segment_references(self.references(2, 1), segment_id=1, others={2: None})
        assert caught.value.field == "children[1].segment_id"

    def test_refuses_unknown_segments(self) -> None:
        with pytest.raises(InvalidCondition, match="does not exist"):
            validate_segment_references(self.references(9), segment_id=None, others={})

    def test_refuses_a_second_level_of_nesting(self) -> None:
        others = {2: self.references(3), 3: None}
        with pytest.raises(InvalidCondition, match="one level") as caught:
            validate_segment_references(self.references(2), segment_id=1, others=others)
        assert caught.value.field == "children[0].segment_id"

    def test_refuses_segment_conditions_in_a_segment_others_use(self) -> None:
        others = {2: self.references(1), 3: None}
        with pytest.raises(InvalidCondition, match="segment 2 refers to this segment"):
            validate_segment_references(self.references(3), segment_id=1, others=others)

    def test_a_cycle_is_refused_either_way(self) -> None:
        with pytest.raises(InvalidCondition):
            validate_segment_references(self.references(2), segment_id=1, others={2: self.references(1)})
