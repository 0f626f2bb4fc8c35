"""Customer.io's own tags: unsubscribe and preference links, view in browser, cio_link, nested Liquid."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tidings.errors import InvalidInput
from tidings.messaging import (
    CampaignMeta,
    ClickTarget,
    InvalidTrackingToken,
    Links,
    MessageMeta,
    RenderContext,
    RenderFailed,
    SubscriptionTopic,
    TemplateInvalid,
    render_email_body,
    render_template,
    validate_template,
)

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
LINKS = Links(base_url="https://track.example.com/", signing_key=b"k" * 32)
DELIVERY = "RAECAAFwnUSneIa0ZXkmb9jvTHS5Hg=="


def context(**fields: object) -> RenderContext:
    fields.setdefault("customer", {"id": "42", "first_name": "Alex", "lang": "de"})
    fields.setdefault("links", LINKS)
    fields.setdefault("delivery_id", DELIVERY)
    return RenderContext(now=NOW, **fields)  # type: ignore[arg-type]


def render(source: str, **fields: object) -> str:
    return render_template(source, context(**fields))


def click(url: str, links: Links = LINKS) -> ClickTarget:
    """What the click route reads from a tracked URL, after checking it is a `/click/` URL."""
    prefix = f"{links.base_url.rstrip('/')}/click/"
    assert url.startswith(prefix), url
    return links.tracker.verify_click(url.removeprefix(prefix))


class TestSubscriptionLinks:
    def test_unsubscribe_url_is_per_delivery(self) -> None:
        assert render("{% unsubscribe_url %}") == "https://track.example.com/unsubscribe/RAECAAFwnUSneIa0ZXkmb9jvTHS5Hg%3D%3D"

    def test_unsubscribe_url_with_a_page_language(self) -> None:
        assert render("{% unsubscribe_url lang='fr' %}").endswith("/unsubscribe/RAECAAFwnUSneIa0ZXkmb9jvTHS5Hg%3D%3D?lang=fr")
        assert render("{% unsubscribe_url lang:customer.lang %}").endswith("?lang=de")

    def test_unsubscribe_writes_an_untracked_link(self) -> None:
        url = render("{% unsubscribe_url %}")
        assert render("{% unsubscribe %}") == f'<a href="{url}" class="untracked">Unsubscribe</a>'

    def test_preferences_url(self) -> None:
        assert render("{% manage_subscription_preferences_url lang='es' %}") == (
            "https://track.example.com/preferences/RAECAAFwnUSneIa0ZXkmb9jvTHS5Hg%3D%3D?lang=es"
        )

    def test_preview_links_use_unsent(self) -> None:
        assert render("{% unsubscribe_url %}", delivery_id="unsent") == "https://track.example.com/unsubscribe/unsent"

    def test_a_url_tag_needs_links(self) -> None:
        with pytest.raises(RenderFailed, match="needs the workspace's tracking links"):
            render("{% unsubscribe_url %}", links=None)

    def test_subscription_topic_name(self) -> None:
        message = MessageMeta(id=1, name="n", type="email_action", subscription_topic=SubscriptionTopic(id=2, name="Product news"))
        assert render("{% subscription_topic_name %}", message=message) == "Product news"
        assert render("[{% subscription_topic_name %}]") == "[]"


class TestViewInBrowser:
    def test_view_in_browser_url(self) -> None:
        assert render("{% view_in_browser_url %}") == "https://track.example.com/deliveries/RAECAAFwnUSneIa0ZXkmb9jvTHS5Hg%3D%3D"

    def test_view_in_browser_writes_nothing_but_asks_for_a_hosted_copy(self) -> None:
        email = render_email_body(None, "a{% view_in_browser %}b", context())
        assert email.html == "ab"
        assert email.has_view_in_browser
        assert not render_email_body(None, "ab", context()).has_view_in_browser


class TestCioLink:
    def test_tracked_link_verifies_through_the_link_tracker_to_the_target(self) -> None:
        url = render("{% cio_link url:https://example.com/a?b=1 %}")

        assert click(url) == ClickTarget(delivery_id=DELIVERY, url="https://example.com/a?b=1", position=0)

    def test_links_are_numbered_in_order_from_zero(self) -> None:
        out = render('{% cio_link url:"https://a.example" %} {% cio_link url:"https://b.example" %}')

        assert [(c.position, c.url) for c in map(click, out.split())] == [(0, "https://a.example"), (1, "https://b.example")]

    def test_tracked_link_carries_the_url_parameters(self) -> None:
        links = dataclasses.replace(LINKS, url_parameters={"utm_source": "customer.io", "utm_medium": "{{message.type}}"})
        message = MessageMeta(id=2, name="Hello", type="email_action")

        url = render("{% cio_link url:https://example.com/?x=1#top %}", links=links, message=message)

        target = "https://example.com/?x=1&utm_source=customer.io&utm_medium=email_action#top"
        assert click(url, links) == ClickTarget(delivery_id=DELIVERY, url=target, position=0)

    @pytest.mark.parametrize("index", [0, 7, -3, -1])
    def test_a_tampered_link_is_refused(self, index: int) -> None:
        token = render("{% cio_link url:https://example.com %}").rsplit("/", 1)[1]
        at = index % len(token)
        tampered = token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]

        with pytest.raises(InvalidTrackingToken):
            LINKS.tracker.verify_click(tampered)

    def test_a_link_signed_with_another_key_is_refused(self) -> None:
        url = render("{% cio_link url:https://example.com %}", links=Links(base_url=LINKS.base_url, signing_key=b"o" * 32))

        with pytest.raises(InvalidTrackingToken):
            click(url)

    def test_tracking_needs_a_signing_key_of_16_bytes(self) -> None:
        with pytest.raises(InvalidInput, match="at least 16 bytes"):
            render("{% cio_link url:https://example.com %}", links=Links(base_url="https://t.example"))

    def test_email_rewritten_after_rendering_keeps_one_level_of_tracking(self) -> None:
        body = (
            '<p><a href="https://plain.example/1">1</a>'
            '<a href="{% cio_link url:https://example.com/deal %}">deal</a>'
            '<a href="https://plain.example/2">2</a></p>'
        )
        html = render_email_body(None, body, context()).html

        rewritten = LINKS.tracker.rewrite(html, delivery_id=DELIVERY)

        hrefs = re.findall(r'href="([^"]*)"', rewritten)
        assert hrefs[1] == re.findall(r'href="([^"]*)"', html)[1]
        assert [(c.url, c.position) for c in map(click, hrefs)] == [
            ("https://plain.example/1", 1),
            ("https://example.com/deal", 0),
            ("https://plain.example/2", 2),
        ]

    def test_untracked_link(self) -> None:
        assert render("{% cio_link url:https://example.com track:false %}") == "https://example.com"

    def test_workspace_default_for_tracking(self) -> None:
        links = Links(base_url="https://t.example", is_click_tracking=False)
        assert render("{% cio_link url:https://example.com %}", links=links) == "https://example.com"

    def test_url_parameters_are_added_from_liquid(self) -> None:
        links = Links(
            base_url="https://t.example",
            is_click_tracking=False,
            url_parameters={"utm_source": "customer.io", "utm_campaign": "{{campaign.name}}", "utm_medium": "{{message.type}}"},
        )
        fields = {
            "links": links,
            "campaign": CampaignMeta(id=1, name="Retention Campaign 1 [Marketing]", type="behavioral"),
            "message": MessageMeta(id=2, name="Hello World Email", type="email_action"),
        }
        url = render("{% cio_link url:https://example.com/?x=1 %}", **fields)
        assert url == (
            "https://example.com/?x=1&utm_source=customer.io"
            "&utm_campaign=Retention+Campaign+1+%5BMarketing%5D&utm_medium=email_action"
        )
        assert render("{% cio_link url:https://example.com url_params:false %}", **fields) == "https://example.com"

    def test_url_parameter_outside_a_campaign_fails_the_message(self) -> None:
        links = Links(base_url="https://t.example", url_parameters={"utm_campaign": "{{campaign.name}}"})
        with pytest.raises(RenderFailed, match="Variable 'campaign.name' is missing"):
            render("{% cio_link url:https://example.com %}", links=links)

    def test_url_parameter_that_renders_empty_fails(self) -> None:
        links = Links(base_url="https://t.example", url_parameters={"utm_content": "{{customer.plan}}"})
        with pytest.raises(RenderFailed, match="URL parameter 'utm_content' rendered empty"):
            render("{% cio_link url:https://example.com %}", links=links, customer={"plan": ""})

    def test_url_with_liquid(self) -> None:
        assert render('{% cio_link url:"https://example.com/u/{{customer.id}}" track:false %}') == "https://example.com/u/42"

    def test_non_web_links_are_left_alone(self) -> None:
        assert render("{% cio_link url:mailto:win@customer.io %}") == "mailto:win@customer.io"

    def test_cio_link_id_is_a_click_token_without_a_target(self) -> None:
        out = render('{% cio_link url:"https://a.example" %} {% cio_link_id %}')
        link_id = out.split()[1]

        assert LINKS.tracker.verify_click(link_id) == ClickTarget(delivery_id=DELIVERY, url=None, position=1)

    def test_cio_link_needs_a_url(self) -> None:
        with pytest.raises(RenderFailed, match="cio_link needs a url"):
            render("{% cio_link track:false %}")

    def test_stray_words_are_a_syntax_error(self) -> None:
        with pytest.raises(TemplateInvalid, match="Unexpected 'oops' in cio_link tag"):
            validate_template("{% cio_link url:https://x.example oops %}")


class TestRenderLiquid:
    def test_renders_liquid_stored_in_a_journey_attribute(self) -> None:
        journey = {"body": "Hello {{customer.first_name}}!"}
        assert render("{{ journey.body }}", journey=journey) == "Hello {{customer.first_name}}!"
        assert render("{% render_liquid journey.body %}", journey=journey) == "Hello Alex!"

    def test_nested_liquid_follows_the_missing_data_rule(self) -> None:
        with pytest.raises(RenderFailed, match="Variable 'customer.nope' is missing"):
            render("{% render_liquid journey.body %}", journey={"body": "{{ customer.nope }}"})

    def test_missing_source_fails(self) -> None:
        with pytest.raises(RenderFailed, match="Variable 'journey.body' is missing"):
            render("{% render_liquid journey.body %}", journey={})

    def test_invalid_nested_liquid_fails_with_the_composer_text(self) -> None:
        with pytest.raises(TemplateInvalid, match="if tag was never closed"):
            render("{% render_liquid journey.body %}", journey={"body": "{% if x %}"})


class TestRandom:
    def test_random_is_between_zero_and_n_inclusive(self) -> None:
        seen = {int(render("{% random 3 %}", random_seed=seed)) for seed in range(60)}
        assert seen == {0, 1, 2, 3}

    def test_a_seed_repeats_the_draw(self) -> None:
        assert render("{% random 100 %}", random_seed=7) == render("{% random 100 %}", random_seed=7)

    def test_snippet_recipe_picks_a_greeting(self) -> None:
        greetings = '[{"version":"0","greeting":"a"},{"version":"1","greeting":"b"}]'
        source = (
            "{% capture randomize %}{% random 1 %}{% endcapture %}"
            "{% for g in snippets.random_greetings %}{% if g.version == randomize %}{{g.greeting}}{% endif %}{% endfor %}"
        )
        outputs = {render(source, snippets={"random_greetings": greetings}, random_seed=s) for s in range(20)}
        assert outputs == {"a", "b"}

    def test_random_needs_a_number(self) -> None:
        with pytest.raises(TemplateInvalid, match="random \\[number\\]"):
            validate_template("{% random x %}")


def test_generate_uuid_writes_a_version_4_uuid() -> None:
    value = uuid.UUID(render("{% generate_uuid %}"))
    assert value.version == 4
    assert re.fullmatch(r"[0-9a-f-]{36}", str(value))


def test_url_parameters_form_encode_spaces() -> None:
    links = Links(base_url="https://t.example", is_click_tracking=False, url_parameters={"utm_content": "Hello World"})
    query = urlsplit(render("{% cio_link url:https://example.com %}", links=links)).query
    assert query == "utm_content=Hello+World"
    assert parse_qs(query) == {"utm_content": ["Hello World"]}
