"""How condition values compare, in Python; `sql_values.py` says the same in SQL.

Both evaluators must agree on every value, so each rule here is one SQLite and PostgreSQL can
state identically:

- Case folding is ASCII only (SQLite's `lower()` folds nothing else), so "É" and "é" differ.
- A number is a JSON number, or a string of the form `-?[0-9]+(\\.[0-9]+)?` of at most 30
  characters; numbers compare as doubles, so `1`, `1.0` and `"1.00"` are equal.
- The string form of a value: strings folded, `true`/`false`, and numbers as decimal text
  without a fraction when whole (`1.0` → "1"). Numbers beyond 10^15, or with more than 15
  significant digits, may print differently per database; contains on them is unreliable.
- A timestamp is unix seconds (spec §2.8): a JSON number (a fraction is dropped) or a string of
  digits, strictly between 100000000 and 100000000000 (which rejects milliseconds).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "EPOCH",
    "MAX_NUMERIC_TEXT",
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "as_number",
    "as_timestamp",
    "fold",
    "parse_instant",
    "string_form",
    "unix_seconds",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_TIMESTAMP = 100_000_000
MAX_TIMESTAMP = 100_000_000_000
MAX_NUMERIC_TEXT = 30
MAX_TIMESTAMP_TEXT = 15
# Beyond this a double overflows in one database and not another; such numbers are not numbers.
MAX_MAGNITUDE = 1e308
# Whole numbers below this print without a fraction in all three evaluators.
MAX_WHOLE = 1e15

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NUMERIC = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DIGITS = re.compile(r"-?[0-9]+")


def fold(text: str) -> str:
    """Lower-case ASCII letters only: what SQLite's lower() does, so both evaluators agree."""
    # For ASCII text str.lower() is the same and many times faster than translate().
    return text.lower() if text.isascii() else text.translate(_ASCII_FOLD)


def as_number(value: Any) -> float | None:
    """The value as a double when it is a number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if abs(number) < MAX_MAGNITUDE else None
    if isinstance(value, str) and len(value) <= MAX_NUMERIC_TEXT and _NUMERIC.fullmatch(value):
        return float(value)
    return None


def string_form(value: Any) -> str | None:
    """What eq and contains compare: folded text, `true`/`false`, or canonical decimal text.
    None for null, objects and arrays."""
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = as_number(value)
        if number is None:
            return None
        if number.is_integer() and abs(number) < MAX_WHOLE:
            return str(int(number))
        return repr(number)
    return None


def as_timestamp(value: Any) -> int | None:
    """Unix seconds when the value is a valid timestamp (spec §2.8), else None."""
    if isinstance(value, bool):
        return None
    seconds: int | None = None
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float) and math.isfinite(value):
        seconds = math.trunc(value)
    elif isinstance(value, str) and len(value) <= MAX_TIMESTAMP_TEXT and _DIGITS.fullmatch(value):
        seconds = int(value)
    if seconds is not None and MIN_TIMESTAMP < seconds < MAX_TIMESTAMP:
        return seconds
    return None


def unix_seconds(moment: datetime) -> int:
    """Whole unix seconds, rounded down exactly (no float on the way)."""
    return (moment - EPOCH) // timedelta(seconds=1)


def parse_instant(value: Any) -> datetime:
    """A date or time given as unix seconds or ISO 8601 (a date alone is midnight UTC; no zone
    means UTC). Raises ValueError saying what was expected."""
    if isinstance(value, bool) or value is None:
        raise ValueError("expected unix seconds or an ISO 8601 date")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value < MAX_TIMESTAMP:
            raise ValueError(f"{value!r} is not unix seconds")
        return EPOCH + timedelta(seconds=value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date or time") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    raise ValueError("expected unix seconds or an ISO 8601 date")
