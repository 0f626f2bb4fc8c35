"""Syntax errors read as Customer.io's composer shows them ("Review Errors")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidings.errors import InvalidInput
from tidings.messaging import (
    LiquidVersion,
    RenderContext,
    RenderFailed,
    TemplateInvalid,
    render_template,
    validate_layout,
    validate_template,
)

COMPOSER_ERRORS = [
    ("{% if customer.trial_expires != blank %} Your trial ends on {{ customer.trial_expires }}", "if tag was never closed"),
    ("{% capture about_me %} coffee {% else %} tea {% endcapture %}", "capture tag does not expect else tag"),
    ("{% if %} x {% endif %}", "Syntax Error in tag 'if' - Valid syntax: if [expression]"),
    ('{% assign = "apple" %}', "Syntax Error in tag 'assign' - Valid syntax: assign [var] = [source]"),
    ("{% capture %} I am {{customer.age}} {% endcapture %}", "Syntax Error in tag 'capture' - Valid syntax: capture [var]"),
    ("{% case %}{% when 'USA' %} soon {% else %} thanks {% endcase %}", "Syntax Error in 'case' - Valid syntax: case [condition]"),
    (
        "{% case customer.country %}{% when 'USA' %} soon {% else 'x' %} thanks {% endcase %}",
        "Syntax Error in tag 'case' - Valid else condition: {% else %} (no parameters)",
    ),
    (
        "{% for item in customer.products %}<div class=\"product-{% cycle | three %}\">{{ item }}</div>{% endfor %}",
        "Syntax Error in 'cycle' - Valid syntax: cycle [name :] var [, var2, var3 …]",
    ),
    (
        "{% for all {{customer.products}} %} {{ product }} {% endfor %}",
        "Syntax Error in 'for loop' - Valid syntax: for [item] in [collection]",
    ),
    ("{% coyotes %}", "Unknown tag 'coyotes'"),
    ("{% if customer.trial_expires != blank %} ends {{ customer.trial_expires }} {% end %}", "'end' is not a valid delimiter for if tags. use endif"),
    (
        "{% if customer.trial_expires != blank %} Your trial ends on {{ customer.trial_expires } {% endif %}",
        "Variable {{ customer.trial_expires } was not properly terminated with regexp: /}}/",
    ),
    ("Hello {% if customer.x", "Tag '{%' was not properly terminated with regexp: /\\%}/"),
]


@pytest.mark.parametrize(("source", "message"), COMPOSER_ERRORS, ids=[m for _, m in COMPOSER_ERRORS])
def test_composer_error_texts(source: str, message: str) -> None:
    with pytest.raises(TemplateInvalid) as caught:
        validate_template(source)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% unless %}x{% endunless %}", "Syntax Error in tag 'unless' - Valid syntax: unless [expression]"),
        ("{% if a %}{% elsif %}{% endif %}", "Syntax Error in tag 'if' - Valid syntax: if [expression]"),
        ("{% case a %}{% when %}x{% endcase %}", "Syntax Error in tag 'case' - Valid when condition: {% when [condition] [or condition2...] %}"),
        ("{% for x in y %}{% if a %}{% endfor %}", "Unknown tag 'endfor'"),
        ("{% endif %}", "Unknown tag 'endif'"),
        ("{% else %}", "Unknown tag 'else'"),
        ("{% for x in y %}{% unless a %}", "unless tag was never closed"),
        ("{% include 'x' %}", "Unknown tag 'include'"),
        ("{% comment %}{% coyotes %}{% endcomment %}{% if %}{% endif %}", "Syntax Error in tag 'if' - Valid syntax: if [expression]"),
        ("{{ 1 | nosuch }}", "Unknown filter 'nosuch'"),
        ("{{ 1 | date: '%Y' | nosuch: 2 }}", "Unknown filter 'nosuch'"),
    ],
)
def test_more_composer_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateInvalid) as caught:
        validate_template(source)
    assert str(caught.value) == message


def test_the_first_fault_in_the_text_is_named() -> None:
    with pytest.raises(TemplateInvalid, match="^Unknown tag 'coyotes'$"):
        validate_template("{% coyotes %}{% if %}{% endif %}")


def test_valid_templates_pass() -> None:
    validate_template("Hi {{ customer.first_name | default: 'there' }}{% if a %}{% else %}{% endif %}{% unsubscribe_url %}")


def test_legacy_accepts_unknown_filters() -> None:
    validate_template("{{ 1 | nosuch }}", version=LiquidVersion.LEGACY)


def test_rendering_an_invalid_template_fails_the_message_with_the_composer_text() -> None:
    with pytest.raises(RenderFailed, match="^if tag was never closed$") as caught:
        render_template("{% if x %}", RenderContext(now=datetime(2026, 1, 1, tzinfo=UTC)))
    assert isinstance(caught.value, TemplateInvalid)
    assert isinstance(caught.value, InvalidInput)


def test_layout_needs_its_content_slot() -> None:
    validate_layout("<body>{{ content }}</body>")
    validate_layout("<body>{{-content-}}</body>")
    with pytest.raises(TemplateInvalid, match="layout must include {{content}}"):
        validate_layout("<body></body>")


@given(st.text(alphabet="{}%abcdefi |'\"=.-", max_size=40))
def test_any_text_either_validates_or_names_a_fault(source: str) -> None:
    try:
        validate_template(source)
    except TemplateInvalid as err:
        assert str(err)
