"""Arithmetic as latest Liquid does it, and money and number formatting by locale (CLDR, via babel).

Customer.io stores attributes as strings, so every input is read as a number first (`"5" | plus: 0`
is 5; what is not a number reads as 0, as in Shopify's Liquid). In latest Liquid a whole result
never shows a decimal (`3 | times: 1.5 | times: 2` is `9`), `modulo` is never negative and `sum`
adds numbers only; legacy Liquid keeps the engine's own arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import (
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
    parse_pattern,
)
from liquid.exceptions import FilterArgumentError

__all__ = [
    "currency",
    "divided_by",
    "format_number",
    "legacy_currency",
    "legacy_rounded_currency",
    "modulo",
    "rounded_currency",
    "sum_filter",
    "times",
    "to_number",
]

Number = int | float


def to_number(value: object) -> Number:
    """Read a filter input as a number: numbers as they are, numeric strings parsed, else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return 0
        return number if math.isfinite(number) else 0
    return 0


def _whole(number: Number) -> Number:
    """Latest Liquid drops the decimal of a whole result: 15.0 is written 15."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def times(value: object, other: object) -> Number:
    """`times`: product; whole results have no decimal."""
    return _whole(to_number(value) * to_number(other))


def divided_by(value: object, other: object) -> Number:
    """`divided_by`: integer division (rounded down) when both sides are whole, else exact."""
    left, right = to_number(value), to_number(other)
    if right == 0:
        raise FilterArgumentError("divided by 0", token=None)
    if isinstance(left, int) and isinstance(right, int):
        return left // right
    return _whole(left / right)


def modulo(value: object, other: object) -> Number:
    """`modulo`: the remainder, always positive in latest Liquid (-7 modulo 3 is 2).

    Decision: Customer.io says only "always positive"; the floored remainder (Ruby's, also
    legacy's) is positive for a positive divisor, and its magnitude is taken for a negative one.
    """
    left, right = to_number(value), to_number(other)
    if right == 0:
        raise FilterArgumentError("divided by 0", token=None)
    return _whole(abs(left % right))


def sum_filter(value: object, key: object = None) -> Number:
    """`sum` / `sum: 'price'`: every item read as a number and added; never concatenates."""
    items = value if isinstance(value, (list, tuple)) else [value]
    total: Number = 0
    for item in _flatten(items):
        if key is not None:
            item = item.get(key) if isinstance(item, Mapping) else None
        total += to_number(item)
    return _whole(total)


def _flatten(items: Iterable[object]) -> Iterable[object]:
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        else:
            yield item


@lru_cache(maxsize=128)
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise FilterArgumentError(f"unknown locale '{name}'", token=None) from None


@lru_cache(maxsize=128)
def _local_currency(locale: Locale) -> str:
    territory = locale.territory
    if territory is None:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = likely.split("_")[-1] if likely else "US"
    currencies = get_territory_currencies(territory)
    return currencies[0] if currencies else "USD"


@dataclass(frozen=True, slots=True)
class _MoneyFormat:
    """A locale's currency pattern for one currency, resolved once (babel's apply is slow)."""

    prefixes: tuple[str, str]
    suffixes: tuple[str, str]
    decimal: str
    group: str
    digits: int
    is_simple: bool  # groups of three: formatted here; anything else goes through babel


@lru_cache(maxsize=512)
def _money_format(locale: Locale, currency_code: str, is_rounded: bool) -> _MoneyFormat:
    pattern = parse_pattern(locale.currency_formats["standard"])
    symbol = get_currency_symbol(currency_code, locale=locale)
    digits = 0 if is_rounded else get_currency_precision(currency_code)
    return _MoneyFormat(
        prefixes=(pattern.prefix[0].replace("¤", symbol), pattern.prefix[1].replace("¤", symbol)),
        suffixes=(pattern.suffix[0].replace("¤", symbol), pattern.suffix[1].replace("¤", symbol)),
        decimal=get_decimal_symbol(locale),
        group=get_group_symbol(locale),
        digits=digits,
        is_simple=pattern.grouping == (3, 3),
    )


def _money(value: object, locale_name: object, code: object, *, is_rounded: bool) -> str:
    name = str(locale_name or "en")
    currency_code = str(code).upper() if code else ""
    try:
        currency_code, form, quantum = _money_setup(name, currency_code, is_rounded)
        # Half-up, as money is rounded at the till (babel would round half to even).
        amount = Decimal(str(to_number(value))).quantize(quantum, rounding=ROUND_HALF_UP)
        if not form.is_simple:
            locale = _locale(name)
            pattern = parse_pattern(locale.currency_formats["standard"])
            pattern.frac_prec = (form.digits, form.digits)
            return pattern.apply(amount, locale, currency=currency_code, currency_digits=False)
    except (InvalidOperation, KeyError, ValueError) as err:
        raise FilterArgumentError(f"cannot format {value!r} as {currency_code}: {err}", token=None) from err
    is_negative = amount < 0
    text = f"{abs(amount):,.{form.digits}f}"
    if form.group != "," or form.decimal != ".":
        text = text.replace(",", "\0").replace(".", form.decimal).replace("\0", form.group)
    return f"{form.prefixes[is_negative]}{text}{form.suffixes[is_negative]}"


@lru_cache(maxsize=512)
def _money_setup(locale_name: str, currency_code: str, is_rounded: bool) -> tuple[str, _MoneyFormat, Decimal]:
    """The currency (the locale's own when none is named), its format and the amount's quantum,
    found once per locale and currency: templates write many amounts the same way."""
    locale = _locale(locale_name)
    code = currency_code or _local_currency(locale)
    form = _money_format(locale, code, is_rounded)
    return code, form, Decimal(1).scaleb(-form.digits)


def currency(value: object, locale_name: object = "en", code: object = None) -> str:
    """`1234567.896 | currency` → `$1,234,567.90`; `currency: 'en-GB'` → `£…`; `'en', 'EUR'` → `€…`."""
    return _money(value, locale_name, code, is_rounded=False)


def rounded_currency(value: object, locale_name: object = "en", code: object = None) -> str:
    """`1234567.896 | rounded_currency: 'en', 'EUR'` → `€1,234,568`."""
    return _money(value, locale_name, code, is_rounded=True)


def legacy_currency(value: object, locale_name: object = "en", *_ignored: object) -> str:
    """Legacy `currency` takes a locale only; the currency is the locale's own."""
    return _money(value, locale_name, None, is_rounded=False)


def legacy_rounded_currency(value: object, locale_name: object = "en", *_ignored: object) -> str:
    """Legacy `rounded_currency`: a locale only."""
    return _money(value, locale_name, None, is_rounded=True)


def format_number(value: object, locale_name: object = "en") -> str:
    """`10000 | format_number` → `10,000`; `123456.78 | format_number: "fr"` → `123 456,78`."""
    locale = _locale(str(locale_name or "en"))
    return format_decimal(Decimal(str(to_number(value))), locale=locale)
