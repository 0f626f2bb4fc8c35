"""Rendering with Customer.io's namespaces, meta keys and missing-data rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tidings.messaging import (
    CampaignMeta,
    LayoutMeta,
    LiquidEnvironment,
    LiquidVersion,
    MessageMeta,
    RenderContext,
    RenderFailed,
    SubscriptionTopic,
    TemplateInvalid,
    render_template,
)

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def context(**fields: object) -> RenderContext:
    fields.setdefault("customer", {"id": "42", "first_name": "Alex", "plan": "", "vip": False})
    return RenderContext(now=NOW, **fields)  # type: ignore[arg-type]


def render(source: str, **fields: object) -> str:
    return render_template(source, context(**fields))


def failure(source: str, **fields: object) -> str:
    with pytest.raises(RenderFailed) as caught:
        render(source, **fields)
    return str(caught.value)


class TestNamespaces:
    def test_customer_attributes_nested_and_bracketed(self) -> None:
        customer = {"referrer": {"name": "Blair"}, "current city": "Oslo", "attribute.name": "odd"}
        source = '{{customer.referrer.name}} {{ customer["current city"] }} {{customer["attribute.name"]}}'
        assert render(source, customer=customer) == "Blair Oslo odd"

    def test_event_and_its_meta_keys(self) -> None:
        source = "{{event.product}} {{event_name}} {{event_id}} {{event_timestamp}}"
        fields = {"event": {"product": "socks"}, "event_name": "purchase", "event_id": "01J", "event_timestamp": 1700000000}
        assert render(source, **fields) == "socks purchase 01J 1700000000"

    def test_trigger_journey_and_objects(self) -> None:
        objects = {"online_classes": [{"name": "Calculus", "relationship": {"status": "not_started"}}]}
        source = (
            "{{trigger.product}} {{journey.weather}} {{objects.online_classes[0].name}} "
            "{{objects.online_classes[0].relationship.status}} {{objects.online_classes.size}}"
        )
        out = render(source, trigger={"product": "trampoline"}, journey={"weather": "rain"}, objects=objects)
        assert out == "trampoline rain Calculus not_started 1"

    def test_campaign_message_and_layout_meta_keys(self) -> None:
        fields = {
            "campaign": CampaignMeta(id=7, name="Welcome", type="behavioral"),
            "message": MessageMeta(
                id=200, name="Day 1", type="email_action", subject="Hi", subscription_topic=SubscriptionTopic(id=1, name="News")
            ),
            "layout": LayoutMeta(id=3, name="Basic"),
            "delivery_id": "RAECAAFwnUSneIa0ZXkmb9jvTHS5Hg==",
        }
        source = (
            "{{campaign.id}} {{campaign.name}} {{campaign.type}} {{message.id}} {{message.name}} "
            "{{message.type}} {{message.subject}} {{message.subscription_topic.name}} {{layout.id}} "
            "{{layout.name}} {{delivery_id}}"
        )
        assert render(source, **fields) == "7 Welcome behavioral 200 Day 1 email_action Hi News 3 Basic RAECAAFwnUSneIa0ZXkmb9jvTHS5Hg=="

    def test_delivery_id_is_unsent_outside_a_delivery(self) -> None:
        assert render("{{delivery_id}}") == "unsent"

    def test_topic_fallback_when_the_message_has_none(self) -> None:
        message = MessageMeta(id=1, name="n", type="email_action")
        assert render("{{ message.subscription_topic.name | default: 'these' }}", message=message) == "these"

    def test_a_map_written_out_whole_reads_as_a_ruby_hash(self) -> None:
        objects = {"classes": [{"name": "A", "id": 1}, {"name": "B", "id": None}]}
        assert render("{{objects.classes}}", objects=objects) == '{"name"=>"A", "id"=>1}{"name"=>"B", "id"=>nil}'

    def test_ruby_hash_becomes_json_with_the_documented_replace(self) -> None:
        out = render('{{ customer | replace: "=>", ":" }}', customer={"id": "1", "tags": ["a", True]})
        assert out == '{"id":"1", "tags":["a", true]}'

    def test_values_written_as_customer_io_writes_them(self) -> None:
        customer = {"yes": True, "no": False, "none": None, "list": ["a", ["b", "c"]], "n": 2.0}
        assert render("{{customer.yes}} {{customer.no}} [{{customer.none}}] {{customer.list}} {{customer.n}}", customer=customer) == "true false [] abc 2.0"


class TestMissingData:
    def test_missing_attribute_fails_with_customer_io_text(self) -> None:
        assert failure("Hi {{customer.eemail}}") == "Variable 'customer.eemail' is missing"

    def test_missing_bracketed_and_indexed_paths_are_named_as_written(self) -> None:
        assert failure('{{ customer["current city"] }}') == """Variable 'customer["current city"]' is missing"""
        assert failure("{{ objects.classes[3].name }}", objects={"classes": []}) == "Variable 'objects.classes[3].name' is missing"

    def test_missing_namespace_fails(self) -> None:
        assert failure("{{event.price}}") == "Variable 'event.price' is missing"
        assert failure("{{campaign.name}}") == "Variable 'campaign.name' is missing"

    def test_anonymous_recipient_has_no_customer(self) -> None:
        assert failure("{{customer.id}}", customer=None) == "Variable 'customer.id' is missing"

    def test_meta_field_that_does_not_apply_is_missing(self) -> None:
        message = MessageMeta(id=1, name="push", type="push_action")
        assert failure("{{message.subject}}", message=message) == "Variable 'message.subject' is missing"

    def test_missing_value_through_a_filter_fails(self) -> None:
        assert failure("{{ customer.nope | upcase }}") == "Variable 'customer.nope' is missing"
        assert failure("{{ 'a' | append: customer.nope }}") == "Variable 'customer.nope' is missing"

    def test_looping_over_a_missing_value_fails(self) -> None:
        assert failure("{% for x in event.items %}{{x}}{% endfor %}", event={}) == "Variable 'event.items' is missing"

    def test_assigned_missing_value_fails_where_written(self) -> None:
        assert failure("{% assign v = customer.nope %}[{{ v }}]") == "Variable 'customer.nope' is missing"

    def test_null_attribute_is_present_and_empty(self) -> None:
        assert render("[{{customer.gone}}]", customer={"gone": None}) == "[]"

    def test_conditions_on_missing_values_are_safe(self) -> None:
        source = (
            "{% if customer.nope %}a{% else %}b{% endif %}"
            "{% unless customer.nope %}c{% endunless %}"
            "{% if customer.nope < 10 %}d{% else %}e{% endif %}"
            "{% if customer.nope contains 'x' %}f{% else %}g{% endif %}"
            "{% case customer.nope %}{% when 'x' %}h{% else %}i{% endcase %}"
        )
        assert render(source) == "bceg" + "i"

    @pytest.mark.parametrize(
        ("value", "is_blank"),
        [(None, True), (False, True), ("", True), ("  ", True), ([], True), ({}, True), ("x", False), (0, False), (True, False), ([1], False)],
    )
    def test_blank_matches_missing_nil_false_and_empty(self, value: object, is_blank: bool) -> None:
        customer = {"v": value}
        assert render("{% if customer.v == blank %}blank{% else %}full{% endif %}", customer=customer) == ("blank" if is_blank else "full")
        assert render("{% if customer.v != blank %}full{% else %}blank{% endif %}", customer=customer) == ("blank" if is_blank else "full")

    def test_missing_is_blank_and_nil(self) -> None:
        assert render("{% if customer.nope == blank %}1{% endif %}{% if customer.nope == nil %}2{% endif %}") == "12"

    def test_false_is_not_nil(self) -> None:
        assert render("{% if customer.vip == nil %}nil{% else %}exists{% endif %}") == "exists"

    def test_default_covers_missing_nil_false_and_empty(self) -> None:
        source = "{{customer.nope | default: 'a'}}{{customer.plan | default: 'b'}}{{customer.vip | default: 'c'}}"
        assert render(source) == "abc"

    def test_default_after_another_filter_does_not_save_a_missing_value(self) -> None:
        assert failure("{{ customer.nope | upcase | default: 'x' }}") == "Variable 'customer.nope' is missing"

    def test_empty_compares_arrays(self) -> None:
        source = "{% if customer.purchases == empty %}none{% else %}some{% endif %}"
        assert render(source, customer={"purchases": []}) == "none"
        assert render(source, customer={"purchases": [1]}) == "some"

    def test_version_detection_idiom_says_latest(self) -> None:
        source = (
            '{% assign liquid_version = nil | default: "latest" %}'
            '{% unless liquid_version == "latest" %}{% assign liquid_version = "legacy" %}{% endunless %}'
            "{{ liquid_version }}"
        )
        assert render(source) == "latest"
        legacy = LiquidEnvironment(LiquidVersion.LEGACY)
        assert legacy.render(source, context()) == "legacy"


class TestStandardTags:
    def test_loops_cycle_break_and_forloop(self) -> None:
        source = (
            "{% for i in customer.items %}{% cycle 'odd', 'even' %}-{{ forloop.index }}-{{ i }}"
            "{% if i == 3 %}{% break %}{% endif %};{% endfor %}"
        )
        assert render(source, customer={"items": [1, 2, 3, 4]}) == "odd-1-1;even-2-2;odd-3-3"

    def test_assign_capture_case_comment_raw_and_whitespace_control(self) -> None:
        source = (
            "{% assign n = customer.n | plus: 0 %}{% capture c %}n={{ n }}{% endcapture %}{{ c }}"
            "{% case customer.country %}{% when 'USA' %}us{% when 'Canada' %}ca{% else %}other{% endcase %}"
            "{% comment %}hidden {{ nope }}{% endcomment %}{% raw %}{{ kept }}{% endraw %}"
            "  {{- ' trimmed' -}}  !"
        )
        assert render(source, customer={"n": "4", "country": "Canada"}) == "n=4ca{{ kept }} trimmed!"

    def test_break_is_latest_only(self) -> None:
        legacy = LiquidEnvironment(LiquidVersion.LEGACY)
        with pytest.raises(TemplateInvalid, match="Unknown tag 'break'"):
            legacy.validate("{% for i in (1..2) %}{% break %}{% endfor %}")


class TestEnvironment:
    def test_parsed_templates_are_reused(self) -> None:
        env = LiquidEnvironment()
        source = "Hi {{ customer.first_name }}"
        assert env.render(source, context()) == "Hi Alex"
        assert env._engine.parse_cached(source) is env._engine.parse_cached(source)

    def test_renders_are_independent(self) -> None:
        env = LiquidEnvironment()
        source = "{% assign x = customer.first_name %}{{ x }}"
        assert env.render(source, context()) == "Alex"
        assert env.render(source, context(customer={"first_name": "Blair"})) == "Blair"

    def test_the_cache_is_bounded(self) -> None:
        env = LiquidEnvironment(cache_size=2)
        for n in range(5):
            assert env.render(f"{{{{ {n} }}}}", context()) == str(n)
        assert len(env._engine._cache) == 2

    def test_text_without_liquid_is_kept_as_written_without_parsing(self) -> None:
        env = LiquidEnvironment()
        assert env.render("Shop <shop@example.com> & 100% off } end", context()) == "Shop <shop@example.com> & 100% off } end"
        assert env._engine._cache == {}

    def test_render_context_needs_an_aware_now(self) -> None:
        with pytest.raises(AssertionError):
            RenderContext(now=datetime(2026, 1, 1))  # noqa: DTZ001
