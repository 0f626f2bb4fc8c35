"""Every filter Customer.io lists, with its output and its failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.messaging import LiquidEnvironment, LiquidVersion, RenderContext, RenderFailed, render_template

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
CUSTOMER = {
    "first_name": "alex",
    "full_name": "Alex  Doe",
    "email": "win+help@customer.io",
    "age": "28",
    "expiration": 1596153600,
    "born": "1990-05-17T10:30:00Z",
    "friends": ["Elaine", "George", "Kramer"],
    "purchases": [
        {"title": "utensils", "type": "kitchen", "price": 12},
        {"title": "garlic press", "type": "kitchen", "price": 30},
        {"title": "vacuum", "type": "household", "price": 200},
    ],
    "with_nils": [3, None, 1],
    "tags": '["a","b"]',
}


def render(source: str, *, version: LiquidVersion = LiquidVersion.LATEST, **fields: object) -> str:
    fields.setdefault("customer", CUSTOMER)
    return render_template(source, RenderContext(now=NOW, **fields), version=version)  # type: ignore[arg-type]


def legacy(source: str) -> str:
    return render(source, version=LiquidVersion.LEGACY)


CASES = [
    # fallback and JSON
    ("{{ customer.nope | default: 'Buddy' }}", "Buddy"),
    ("{{ customer.friends | to_json }}", '["Elaine","George","Kramer"]'),
    ("{{ customer.purchases[0] | to_json }}", '{"title":"utensils","type":"kitchen","price":12}'),
    ("{{ customer.friends | json }}", '["Elaine","George","Kramer"]'),
    ("{{ customer.tags | from_json | last }}", "b"),
    (
        "{{ customer.purchases | json_array_uniq: 'type' | map: 'title' | join: ',' }}",
        "utensils,vacuum",
    ),
    # dates and time zones
    ('{{ customer.expiration | date: "%B %-d, %Y" }}', "July 31, 2020"),
    ('{{ customer.expiration | date: "%d/%m/%Y" }}', "31/07/2020"),
    ("{{ 'now' | date: '%s' }}", str(int(NOW.timestamp()))),
    ("{{ 'now' | date: '%A %Y' }}", "Wednesday 2026"),
    ('{{ customer.born | date: "%s" }}', "642940200"),
    ("{{ customer.expiration | date: '%Y-%m-%d %H:%M:%S', 'America/New_York' }}", "2020-07-30 20:00:00"),
    ("{{ customer.expiration | date: '%H:%M %z', 360 }}", "18:00 -0600"),
    ("{{ customer.expiration | date: '%H:%M', '(GMT-11:00) Hawaii' }}", "13:00"),
    ("{{ customer.expiration | date: '%Y-%m-%dT%H:%M:%S.%L%:z' }}", "2020-07-31T00:00:00.000+00:00"),
    ("{{ 'not a date' | date: '%Y' }}", "not a date"),
    ("{{ 'now' | date: '%s' | plus: 0 | add_day: 1 | date: '%F' }}", "2026-03-05"),
    ("{{ 1611878400 | add_month: 1 | date: '%F' }}", "2021-02-28"),
    ("{{ 1596153600 | add_year: 2 | date: '%F' }}", "2022-07-31"),
    ("{{ 1596153600 | subtract_day: 31 | date: '%F' }}", "2020-06-30"),
    ("{{ 1596153600 | subtract_month | date: '%F' }}", "2020-06-30"),
    ("{{ 1596153600 | subtract_year: 1 | date: '%F' }}", "2019-07-31"),
    ("{{ 1596153600 | date_to_string }}", "31 Jul 2020"),
    ("{{ 1596153600 | date_to_string: 'ordinal' }}", "31st Jul 2020"),
    ("{{ 1596153600 | date_to_string: 'ordinal', 'US' }}", "Jul 31st, 2020"),
    ("{{ 1596153600 | date_to_long_string }}", "31 July 2020"),
    ("{{ 1596153600 | date_to_long_string: 'ordinal', 'US' }}", "July 31st, 2020"),
    ("{{ 1596153600 | date_to_rfc822 }}", "Fri, 31 Jul 2020 00:00:00 +0000"),
    ("{{ 1596153600 | date_to_xmlschema }}", "2020-07-31T00:00:00+00:00"),
    # numbers and money
    ("{{ customer.age | plus: 0 | plus: 2 }}", "30"),
    ("{{ 10 | minus: 2.5 }}", "7.5"),
    ("{{ 3 | times: 1.5 | times: 2 }}", "9"),
    ("{{ 10 | times: 1.5 }}", "15"),
    ("{{ 7 | divided_by: 2 }}", "3"),
    ("{{ 7 | divided_by: 2.0 }}", "3.5"),
    ("{{ 9 | divided_by: 1.5 }}", "6"),
    ("{{ -7 | modulo: 3 }}", "2"),
    ("{{ 7 | modulo: -3 }}", "2"),
    ("{{ customer.purchases | sum: 'price' }}", "242"),
    ("{{ customer.with_nils | sum }}", "4"),
    ("{{ -4.6 | abs }} {{ 4.2 | ceil }} {{ 4.8 | floor }} {{ 4.567 | round: 2 }} {{ 5 | at_least: 7 }} {{ 5 | at_most: 3 }}", "4.6 5 4 4.57 7 3"),
    ("{{ 1234567.896 | currency }}", "$1,234,567.90"),
    ("{{ 1234567.896 | currency: 'en-GB' }}", "£1,234,567.90"),
    ("{{ 1234567.896 | currency: 'en', 'EUR' }}", "€1,234,567.90"),
    ("{{ 1234567.896 | rounded_currency: 'en', 'EUR' }}", "€1,234,568"),
    ("{{ 1234567.896 | rounded_currency }}", "$1,234,568"),
    ("{{ 1234.5 | currency: 'ja-JP' }}", "￥1,235"),
    ("{{ 10000 | format_number }}", "10,000"),
    ("{{ 123456.78 | format_number: 'fr' }}", "123\u202f456,78"),
    # strings
    ("{{ customer.first_name | capitalize }} {{ 'ALEX' | downcase }} {{ 'a' | upcase }}", "Alex alex A"),
    ("{{ 'a' | append: 'b' | prepend: 'c' }}", "cab"),
    ("{{ customer.full_name | split: ' ' | first }}", "Alex"),
    ("{{ 'hello' | slice: 2 }} {{ 'hello' | slice: 1, 3 }}", "l ell"),
    ("{{ 'Ground control to Major Tom.' | truncate: 15, '' }}", "Ground control "),
    ("{{ 'one two three' | truncatewords: 2 }}", "one two..."),
    ("[{{ '  x  ' | strip }}][{{ '  x' | lstrip }}][{{ 'x  ' | rstrip }}]", "[x][x][x]"),
    ("{{ customer.nl | strip_newlines }}", "ab"),
    ("{{ customer.nl | newline_to_br }}", "a<br />\nb"),
    ("{{ ' a \n\t b ' | normalize_whitespace }}", " a b "),
    ("{{ 'a&b' | replace: '&', ' and ' | replace_first: 'a', 'A' | replace_last: 'b', 'B' }}", "A and B"),
    ("{{ 'banana' | remove: 'a' }} {{ 'banana' | remove_first: 'a' }} {{ 'banana' | remove_last: 'a' }}", "bnn bnana banan"),
    ("{{ '<b>x</b>' | strip_html }}", "x"),
    ("{{ customer.email | escape }}", "win+help@customer.io"),
    ("{{ '<a href=\"x\">' | escape }}", "&lt;a href=&quot;x&quot;&gt;"),
    ("{{ '&lt; <' | escape_once }}", "&lt; &lt;"),
    ("{{ customer.email | url_encode }}", "win%2Bhelp%40customer.io"),
    ("{{ 'a%20b+c' | url_decode }}", "a b c"),
    ("{{ customer.first_name | size }} {{ customer.friends | size }} {{ customer.friends.size }}", "4 3 3"),
    ("{{ 'the quick fox' | titlecase }}", "The Quick Fox"),
    ("{{ 'Hello, World & Friends!' | slugify }}", "hello-world-friends"),
    ("{{ 1 | pluralize: 'item', 'items' }} {{ 3 | pluralize: 'item', 'items' }}", "item items"),
    ("{{ 'one two  three' | number_of_words }}", "3"),
    ("{{ customer.friends | array_to_sentence_string }}", "Elaine, George, and Kramer"),
    ("{{ '<a & \"b\">' | xml_escape }}", "&lt;a &amp; &quot;b&quot;&gt;"),
    ("{{ 'a b&c/d' | cgi_escape }}", "a+b%26c%2Fd"),
    ("{{ 'http://x.com/a b?q=1&r=é' | uri_escape }}", "http://x.com/a%20b?q=1&r=%C3%A9"),
    # encodings and hashes
    ("{{ 'Customer.io' | md5 }}", hashlib.md5(b"Customer.io").hexdigest()),
    ("{{ 'Customer.io' | sha1 }}", hashlib.sha1(b"Customer.io").hexdigest()),
    ("{{ 'Customer.io' | sha256 }}", hashlib.sha256(b"Customer.io").hexdigest()),
    ("{{ 'Customer.io' | hmac_sha1: 'some_key' }}", hmac.new(b"some_key", b"Customer.io", "sha1").hexdigest()),
    ("{{ 'Customer.io' | hmac_sha256: 'some_key' }}", hmac.new(b"some_key", b"Customer.io", "sha256").hexdigest()),
    (
        "{{ 'Customer.io' | hmac_sha256: 'some_key' | hex_base64 }}",
        base64.b64encode(hmac.new(b"some_key", b"Customer.io", "sha256").digest()).decode(),
    ),
    ("{{ 'héllo?' | base64 }} {{ 'héllo?' | base64_encode }}", "aMOpbGxvPw== aMOpbGxvPw=="),
    ("{{ 'aMOpbGxvPw==' | base64_decode }}", "héllo?"),
    ("{{ 'héllo?' | base64_url_safe_encode }}", "aMOpbGxvPw=="),
    ("{{ 'aMOpbGxvPw' | base64_url_safe_decode }}", "héllo?"),
    # arrays
    ("{{ customer.friends | first }} {{ customer.friends | last }} {{ customer.friends | join: '+' }}", "Elaine Kramer Elaine+George+Kramer"),
    ("{{ customer.purchases | map: 'title' | join: ',' }}", "utensils,garlic press,vacuum"),
    ("{{ customer.purchases | sort: 'title' | map: 'title' | join: ',' }}", "garlic press,utensils,vacuum"),
    ("{{ customer.with_nils | sort | join: ',' }}", "3,,1"),
    ("{{ 'b,A,a' | split: ',' | sort | join: '' }}", "Aab"),
    ("{{ 'b,a,A' | split: ',' | sort_natural | join: '' }}", "aAb"),
    ("{{ customer.friends | reverse | join: ',' }}", "Kramer,George,Elaine"),
    (
        "{% assign groups = customer.purchases | group_by: 'type' | sort: 'name' %}"
        "{% for g in groups %}{{ g.name }}:{{ g.items | map: 'title' | join: '/' }};{% endfor %}",
        "household:vacuum;kitchen:utensils/garlic press;",
    ),
    ("{{ customer.friends | concat: customer.friends | size }}", "6"),
    ("{{ customer.friends | concat: customer.purchases[0] | last | map: 'title' }}", "utensils"),
    ("{{ customer.with_nils | compact | join: ',' }}", "3,1"),
    ("{{ 'a,b,a' | split: ',' | uniq | join }}", "a b"),
    ("{{ customer.purchases | slice: 0, 2 | map: 'title' | join: ',' }}", "utensils,garlic press"),
    ("{{ customer.friends | pop | join: ',' }} {{ customer.friends | shift: 2 | join: ',' }}", "Elaine,George Kramer"),
    ("{{ customer.friends | push: 'Newman' | last }} {{ customer.friends | unshift: 'Newman' | first }}", "Newman Newman"),
    ("{{ customer.purchases | where: 'type', 'kitchen' | size }}", "2"),
    ("{{ customer.purchases | where_not: 'type', 'kitchen' | map: 'title' | join }}", "vacuum"),
    ("{{ customer.purchases | where_exp: 'p', 'p.price > 20' | map: 'title' | join: ',' }}", "garlic press,vacuum"),
    ("{{ customer.purchases | where_exp: 'p', 'p.gift == blank' | size }}", "3"),
    ("{{ customer.purchases | find: 'type', 'household' | map: 'title' }}", "vacuum"),
    ("{{ customer.purchases | find_exp: 'p', 'p.price < 20' | map: 'title' }}", "utensils"),
    ("{{ customer.purchases | group_by_exp: 'p', 'p.price | at_most: 50' | map: 'name' | join: ',' }}", "12,30,50"),
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_filter_output(source: str, expected: str) -> None:
    customer = {**CUSTOMER, "nl": "a\nb"}
    assert render(source, customer=customer) == expected


class TestLegacyFilters:
    def test_timezone_filter_converts_with_hours(self) -> None:
        assert legacy("{{ customer.expiration | timezone: 'America/New_York' | date: '%H:%M' }}") == "20:00"
        assert legacy("{{ customer.expiration | timezone: -6 | date: '%H:%M %z' }}") == "18:00 -0600"

    def test_timezone_written_out_like_ruby_time(self) -> None:
        assert legacy("{{ customer.expiration | timezone: 'Asia/Tokyo' }}") == "2020-07-31 09:00:00 +0900"

    def test_timezone_is_not_a_latest_filter(self) -> None:
        with pytest.raises(RenderFailed, match="Unknown filter 'timezone'"):
            render("{{ 1 | timezone: 'UTC' }}")

    def test_htmlencode_is_legacy_only(self) -> None:
        assert legacy("{{ '<b>' | htmlencode }}") == "&lt;b&gt;"
        with pytest.raises(RenderFailed, match="Unknown filter 'htmlencode'"):
            render("{{ '<b>' | htmlencode }}")

    def test_legacy_ignores_latest_only_filters(self) -> None:
        assert legacy("[{{ nil | default: 'x' }}]") == "[]"

    def test_legacy_arithmetic_keeps_decimals(self) -> None:
        assert legacy("{{ 10 | times: 1.5 }}") == "15.0"

    def test_legacy_currency_takes_a_locale_only(self) -> None:
        assert legacy("{{ 5 | currency: 'en-GB', 'EUR' }}") == "£5.00"


class TestFilterFailures:
    def test_unknown_filter(self) -> None:
        with pytest.raises(RenderFailed, match="^Unknown filter 'nosuch'$"):
            render("{{ 1 | nosuch }}")

    def test_division_by_zero(self) -> None:
        with pytest.raises(RenderFailed, match="divided by 0"):
            render("{{ 1 | divided_by: 0 }}")
        with pytest.raises(RenderFailed, match="divided by 0"):
            render("{{ 1 | modulo: 0 }}")

    def test_unknown_time_zone(self) -> None:
        with pytest.raises(RenderFailed, match="unknown time zone 'Mars/Olympus'"):
            render("{{ 'now' | date: '%H', 'Mars/Olympus' }}")

    def test_unknown_locale(self) -> None:
        with pytest.raises(RenderFailed, match="unknown locale 'xx-QQ'"):
            render("{{ 1 | currency: 'xx-QQ' }}")

    def test_invalid_json(self) -> None:
        with pytest.raises(RenderFailed, match="from_json: invalid JSON"):
            render("{{ '{nope' | from_json }}")

    def test_invalid_base64(self) -> None:
        with pytest.raises(RenderFailed, match="invalid base64"):
            render("{{ '%%%' | base64_decode }}")

    def test_add_day_needs_a_time(self) -> None:
        with pytest.raises(RenderFailed, match="expected a unix timestamp"):
            render("{{ 'soon' | add_day: 1 }}")

    def test_non_numeric_text_counts_as_zero(self) -> None:
        assert render("{{ 'abc' | plus: 1 }}") == "1"


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
)
ARGUMENTS = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8) | st.lists(st.integers(), max_size=3)
LATEST = LiquidEnvironment(LiquidVersion.LATEST)
FILTERS = sorted(LATEST._engine.filters)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(FILTERS), value=VALUES, args=st.lists(ARGUMENTS, max_size=3))
def test_filters_never_crash_on_any_input(name: str, value: object, args: list[object]) -> None:
    """A filter given anything renders or fails the render; it never raises a Python error."""
    trigger = {"value": value, **{f"a{i}": arg for i, arg in enumerate(args)}}
    call = name + (": " + ", ".join(f"trigger.a{i}" for i in range(len(args))) if args else "")
    try:
        LATEST.render(f"{{{{ trigger.value | {call} }}}}", RenderContext(now=NOW, trigger=trigger))
    except RenderFailed:
        pass


@given(st.text())
def test_base64_round_trips(text: str) -> None:
    trigger = {"t": text}
    assert render("{{ trigger.t | base64_encode | base64_decode }}", trigger=trigger) == text
    assert render("{{ trigger.t | base64_url_safe_encode | base64_url_safe_decode }}", trigger=trigger) == text


@given(VALUES)
def test_to_json_round_trips(value: object) -> None:
    assert json.loads(render("{{ trigger.v | to_json }}", trigger={"v": value})) == value


@given(st.text(), st.text())
def test_hmac_matches_the_standard_library(text: str, key: str) -> None:
    expected = hmac.new(key.encode(), text.encode(), "sha256").hexdigest()
    assert render("{{ trigger.t | hmac_sha256: trigger.k }}", trigger={"t": text, "k": key}) == expected


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6).filter(bool))
def test_modulo_is_never_negative(left: int, right: int) -> None:
    assert int(render("{{ trigger.l | modulo: trigger.r }}", trigger={"l": left, "r": right})) >= 0
