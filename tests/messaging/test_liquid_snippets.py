"""Snippets (`{{snippets.name}}`, with their size limits) and layouts (`{{content}}`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tidings.errors import LimitExceeded
from tidings.messaging import (
    MAX_SNIPPET_BYTES,
    LayoutMeta,
    Links,
    RenderContext,
    RenderFailed,
    Snippet,
    SnippetTooLarge,
    render_email_body,
    render_template,
    validate_snippets,
)

NOW = datetime(2026, 3, 4, tzinfo=UTC)


def context(**fields: object) -> RenderContext:
    fields.setdefault("customer", {"id": "42", "first_name": "Alex"})
    return RenderContext(now=NOW, **fields)  # type: ignore[arg-type]


def render(source: str, **fields: object) -> str:
    return render_template(source, context(**fields))


class TestSnippets:
    def test_text_and_bracketed_names(self) -> None:
        snippets = {"address": "1 Main St", "main address": "2 High St"}
        assert render('{{snippets.address}} / {{snippets["main address"]}}', snippets=snippets) == "1 Main St / 2 High St"

    def test_liquid_in_a_snippet_renders_with_the_recipient(self) -> None:
        assert render("{{ snippets.greeting }}!", snippets={"greeting": "Hi {{customer.first_name}}"}) == "Hi Alex!"

    def test_snippets_do_not_see_variables_the_body_assigned(self) -> None:
        snippets = {"uses_body": "{{ local | default: 'unseen' }}"}
        assert render("{% assign local = 'seen' %}{{ snippets.uses_body }}", snippets=snippets) == "unseen"

    def test_json_snippet_is_iterable(self) -> None:
        snippets = {"items": '[{"name": "a"}, {"name": "b"}]'}
        assert render("{% for i in snippets.items %}{{ i.name }}{% endfor %}", snippets=snippets) == "ab"

    def test_liquid_in_a_json_object_renders_but_not_in_an_array(self) -> None:
        snippets = {"obj": '{"hello": "Hi {{customer.first_name}}"}', "arr": '["Hi {{customer.first_name}}"]'}
        assert render("{{ snippets.obj.hello }} | {{ snippets.arr[0] }}", snippets=snippets) == "Hi Alex | Hi {{customer.first_name}}"

    def test_snippets_can_use_snippets(self) -> None:
        snippets = {"outer": "[{{ snippets.inner }}]", "inner": "in"}
        assert render("{{ snippets.outer }}", snippets=snippets) == "[in]"

    def test_a_snippet_that_includes_itself_fails(self) -> None:
        with pytest.raises(RenderFailed, match="snippet 'loop' includes itself"):
            render("{{ snippets.loop }}", snippets={"loop": "{{ snippets.loop }}"})

    def test_missing_snippet_fails(self) -> None:
        with pytest.raises(RenderFailed, match="Variable 'snippets.nope' is missing"):
            render("{{ snippets.nope }}", snippets={"other": "x"})
        with pytest.raises(RenderFailed, match="Variable 'snippets.nope' is missing"):
            render("{{ snippets.nope }}")

    def test_missing_data_inside_a_snippet_fails(self) -> None:
        with pytest.raises(RenderFailed, match="Variable 'customer.nope' is missing"):
            render("{{ snippets.s }}", snippets={"s": "{{ customer.nope }}"})


class TestSnippetLimits:
    def test_a_snippet_of_16_kb_is_allowed(self) -> None:
        validate_snippets([Snippet(name="ok", value="x" * MAX_SNIPPET_BYTES)])

    def test_a_larger_snippet_is_refused(self) -> None:
        with pytest.raises(SnippetTooLarge) as caught:
            validate_snippets([Snippet(name="big", value="é" * (MAX_SNIPPET_BYTES // 2 + 1))])
        assert caught.value.field == "big"
        assert "at most 16 KB" in str(caught.value)
        assert isinstance(caught.value, LimitExceeded)

    def test_workspace_total_must_stay_under_5_mb(self) -> None:
        snippets = [Snippet(name=f"s{n}", value="x" * MAX_SNIPPET_BYTES) for n in range(320)]
        with pytest.raises(SnippetTooLarge, match="less than 5 MB"):
            validate_snippets(snippets)
        validate_snippets(snippets[:319])

    def test_limits_can_be_raised_per_workspace(self) -> None:
        validate_snippets([Snippet(name="big", value="x" * 20_000)], max_snippet_bytes=32 * 1024)


class TestLayouts:
    LAYOUT = '<html><body>{{content}}<a href="{% unsubscribe_url %}" class="untracked">Unsubscribe</a></body></html>'

    def test_body_goes_into_the_content_slot(self) -> None:
        ctx = context(links=Links(base_url="https://t.example"), delivery_id="d1")
        email = render_email_body(self.LAYOUT, "<p>Hi {{customer.first_name}}</p>", ctx)
        assert email.html == (
            '<html><body><p>Hi Alex</p><a href="https://t.example/unsubscribe/d1" class="untracked">Unsubscribe</a></body></html>'
        )
        assert email.has_unsubscribe_link
        assert not email.has_view_in_browser

    def test_plaintext_layout_and_no_layout(self) -> None:
        assert render_email_body("{{content}}", "Hi", context()).html == "Hi"
        assert render_email_body(None, "Hi", context()).html == "Hi"
        assert not render_email_body(None, "Hi", context()).has_unsubscribe_link

    def test_layout_sees_layout_meta_and_snippets(self) -> None:
        ctx = context(layout=LayoutMeta(id=3, name="Basic"), snippets={"footer": "© {{ 'now' | date: '%Y' }}"})
        assert render_email_body("{{layout.name}}|{{content}}|{{snippets.footer}}", "b", ctx).html == "Basic|b|© 2026"

    def test_body_liquid_is_not_rendered_twice(self) -> None:
        ctx = context(journey={"raw": "{{ customer.first_name }}"})
        assert render_email_body("[{{content}}]", "{{ journey.raw }}", ctx).html == "[{{ customer.first_name }}]"

    def test_missing_data_in_the_layout_fails_the_email(self) -> None:
        with pytest.raises(RenderFailed, match="Variable 'customer.nope' is missing"):
            render_email_body("{{ customer.nope }}{{content}}", "b", context())

    def test_links_are_numbered_across_body_and_layout(self) -> None:
        links = Links(base_url="https://t.example", signing_key=b"k" * 16)
        ctx = context(links=links)
        html = render_email_body("{{content}} {% cio_link url:https://b.example %}", "{% cio_link url:https://a.example %}", ctx).html
        clicks = [links.tracker.verify_click(url.rsplit("/", 1)[1]) for url in html.split()]
        assert [(c.url, c.position) for c in clicks] == [("https://a.example", 0), ("https://b.example", 1)]
