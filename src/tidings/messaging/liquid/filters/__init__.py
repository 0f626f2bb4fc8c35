"""The filter set of each Liquid version: the engine's standard filters plus Customer.io's.

Every filter but `default` is wrapped so a missing input or argument fails the render (see
`missing.py`), and so a filter given the wrong kind of value fails the render with a message
rather than with a Python exception.

Not offered: the `limit` and `contains` filters of Customer.io's extended list. The engine reserves
both words (a `for` loop's `limit:`, the `contains` operator), so they cannot name filters; `slice`
and the `contains` operator do the same work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from liquid import Environment

from tidings.messaging.liquid.filters import arrays, dates, encoding, numbers, strings
from tidings.messaging.liquid.missing import missing_guard
from tidings.messaging.liquid.output import ruby_inspect
from tidings.messaging.liquid.types import LiquidVersion

__all__ = ["register_filters"]

_COMMON: dict[str, Callable[..., object]] = {
    # dates
    "add_day": dates.add_day,
    "add_month": dates.add_month,
    "add_year": dates.add_year,
    "subtract_day": dates.subtract_day,
    "subtract_month": dates.subtract_month,
    "subtract_year": dates.subtract_year,
    "date_to_long_string": dates.date_to_long_string,
    "date_to_rfc822": dates.date_to_rfc822,
    "date_to_string": dates.date_to_string,
    "date_to_xmlschema": dates.date_to_xmlschema,
    # numbers and money
    "format_number": numbers.format_number,
    # strings
    "normalize_whitespace": strings.normalize_whitespace,
    "number_of_words": strings.number_of_words,
    "pluralize": strings.pluralize,
    "slugify": strings.slugify,
    "titlecase": strings.titlecase,
    # encodings and hashes
    "base64": encoding.base64_encode,
    "base64_encode": encoding.base64_encode,
    "base64_decode": encoding.base64_decode,
    "base64_url_safe_encode": encoding.base64_url_safe_encode,
    "base64_url_safe_decode": encoding.base64_url_safe_decode,
    "cgi_escape": encoding.cgi_escape,
    "hex_base64": encoding.hex_base64,
    "hmac_sha1": encoding.hmac_sha1,
    "hmac_sha256": encoding.hmac_sha256,
    "md5": encoding.md5,
    "sha1": encoding.sha1,
    "sha256": encoding.sha256,
    "uri_escape": encoding.uri_escape,
    "xml_escape": encoding.xml_escape,
    # arrays and JSON
    "array_to_sentence_string": arrays.array_to_sentence_string,
    "find_exp": arrays.find_exp,
    "from_json": arrays.from_json,
    "group_by": arrays.group_by,
    "group_by_exp": arrays.group_by_exp,
    "json": arrays.json_filter,
    "join": arrays.join,
    "pop": arrays.pop,
    "push": arrays.push,
    "shift": arrays.shift,
    "to_json": arrays.to_json,
    "unshift": arrays.unshift,
    "where_exp": arrays.where_exp,
    "where_not": arrays.where_not,
}

_LATEST: dict[str, Callable[..., object]] = {
    "concat": arrays.concat,
    "currency": numbers.currency,
    "date": dates.date_filter,
    "divided_by": numbers.divided_by,
    "json_array_uniq": arrays.json_array_uniq,
    "modulo": numbers.modulo,
    "rounded_currency": numbers.rounded_currency,
    "sort": arrays.sort,
    "sum": numbers.sum_filter,
    "times": numbers.times,
}

# Legacy (Customer.io's Ruby Liquid 2.5) differs where Customer.io's upgrade notes say: `timezone` and
# `htmlencode` exist, `default` and `json_array_uniq` do not, a bare zone offset counts hours,
# `currency` takes a locale only, and arithmetic is the engine's (`15.0` stays `15.0`). Not
# reproduced: legacy `escape`, `sort` (erroring on nils), `concat`, `sha256` and `sum` differences.
_LEGACY: dict[str, Callable[..., object]] = {
    "currency": numbers.legacy_currency,
    "date": dates.legacy_date_filter,
    "htmlencode": strings.htmlencode,
    "rounded_currency": numbers.legacy_rounded_currency,
    "timezone": dates.timezone_filter,
}

# Customer.io: `default` is new in latest Liquid; legacy ignores it as an unknown filter.
_NOT_IN_LEGACY = ("default", "json_array_uniq")


# Filters that read their input as text. Given a map, they read Ruby's text of it, as Customer.io's
# do: the docs turn `{{ customer | replace: "=>", ":" }}` into JSON.
_TEXT_INPUT = frozenset(
    {
        "append", "capitalize", "downcase", "escape", "escape_once", "lstrip", "newline_to_br",
        "prepend", "remove", "remove_first", "remove_last", "replace", "replace_first",
        "replace_last", "rstrip", "split", "strip", "strip_html", "strip_newlines", "truncate",
        "truncatewords", "upcase", "url_encode", "normalize_whitespace", "titlecase", "slugify",
        "md5", "sha1", "sha256", "hmac_sha1", "hmac_sha256", "base64", "base64_encode",
        "base64_url_safe_encode", "cgi_escape", "uri_escape", "xml_escape", "htmlencode",
    }
)  # fmt: skip


def _text_input(func: Callable[..., object]) -> Callable[..., object]:
    def read_as_text(value: object, *args: object, **kwargs: object) -> object:
        if isinstance(value, Mapping):
            value = ruby_inspect(value)
        return func(value, *args, **kwargs)

    read_as_text.__name__ = getattr(func, "__name__", "filter")
    for flag in ("with_context", "with_environment"):
        if getattr(func, flag, False):
            setattr(read_as_text, flag, True)
    return read_as_text


def register_filters(env: Environment, version: LiquidVersion) -> None:
    """Install the filters of `version` on `env`, each guarded against missing values."""
    env.filters.update(_COMMON)
    env.filters.update(_LATEST if version is LiquidVersion.LATEST else _LEGACY)
    if version is LiquidVersion.LEGACY:
        for name in _NOT_IN_LEGACY:
            env.filters.pop(name, None)
    for name, func in list(env.filters.items()):
        if name in _TEXT_INPUT:
            func = _text_input(func)
        if name != "default":
            env.filters[name] = missing_guard(func)
