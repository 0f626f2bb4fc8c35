"""Date and time-zone filters: `date` with a zone, `timezone` (legacy), date arithmetic, Jekyll forms.

Customer.io's timestamps are unix seconds and are UTC; so is `'now'`, which is the render's `now`
(from the injected clock), never the machine's wall clock. ISO 8601 strings are accepted too.
A zone is an IANA name (`America/New_York`), a "detailed" name (`(GMT-11:00) Hawaii`) or a number:
minutes with the sign inverted in latest Liquid (`360` is -06:00), hours in legacy.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from liquid.exceptions import FilterArgumentError
from liquid.filter import with_context

from tidings.messaging.liquid.missing import StrictContext

__all__ = [
    "add_day",
    "add_month",
    "add_year",
    "date_filter",
    "date_to_long_string",
    "date_to_rfc822",
    "date_to_string",
    "date_to_xmlschema",
    "legacy_date_filter",
    "subtract_day",
    "subtract_month",
    "subtract_year",
    "timezone_filter",
    "to_datetime",
]

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DETAILED_ZONE = re.compile(r"\(\s*(?:GMT|UTC)\s*(?:([+-])(\d{1,2}):?(\d{2}))?\s*\).*")


def to_datetime(value: object, *, now: datetime) -> datetime | None:
    """The instant a filter input names, as an aware datetime; None when it names none."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return _from_unix(float(value))
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("now", "today"):
            return now
        if _NUMBER.fullmatch(text):
            return _from_unix(float(text))
        return _parse_text(text)
    return None


def _from_unix(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:
            from dateutil import parser

            parsed = parser.parse(text)
        except (ValueError, OverflowError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@lru_cache(maxsize=256)
def zone(name: object, *, offset_unit: str = "minutes") -> tzinfo:
    """The zone a filter argument names; `offset_unit` is how a bare number counts."""
    if isinstance(name, (int, float)) or (isinstance(name, str) and _NUMBER.fullmatch(name.strip())):
        number = float(name)
        delta = timedelta(minutes=-number) if offset_unit == "minutes" else timedelta(hours=number)
        try:
            return timezone(delta)
        except ValueError:
            raise FilterArgumentError(f"invalid time zone offset {name}", token=None) from None
    text = str(name).strip()
    detailed = _DETAILED_ZONE.fullmatch(text)
    if detailed:
        sign, hours, minutes = detailed.groups()
        if hours is None:
            return UTC
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta)
    if text.upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise FilterArgumentError(f"unknown time zone '{text}'", token=None) from None


def strftime(moment: datetime, fmt: str) -> str:
    """strftime with Ruby's extras: `%s` (epoch), `%L` (milliseconds), `%Q`, `%:z`, `%-d` style."""
    if "%s" in fmt:
        fmt = fmt.replace("%s", str(int(moment.timestamp())))
    if "%L" in fmt:
        fmt = fmt.replace("%L", f"{moment.microsecond // 1000:03d}")
    if "%Q" in fmt:
        fmt = fmt.replace("%Q", str(int(moment.timestamp() * 1000)))
    if "%:z" in fmt:
        offset = moment.strftime("%z")
        fmt = fmt.replace("%:z", f"{offset[:3]}:{offset[3:]}" if offset else "")
    try:
        return moment.strftime(fmt)
    except ValueError as err:
        raise FilterArgumentError(str(err), token=None) from err


def _format(value: object, fmt: object, zone_name: object, *, now: datetime, offset_unit: str) -> object:
    if value is None or value == "":
        return ""
    moment = to_datetime(value, now=now)
    if moment is None:
        return value  # Liquid leaves what is not a date unchanged.
    if zone_name is not None:
        moment = moment.astimezone(zone(zone_name, offset_unit=offset_unit))
    if fmt is None or fmt == "":
        return value
    return strftime(moment, str(fmt))


def _now(context: StrictContext) -> datetime:
    return context.state.context.now


@with_context
def date_filter(value: object, fmt: object = None, zone_name: object = None, *, context: StrictContext) -> object:
    """`date: "%B %-d, %Y"` and, in latest Liquid, `date: "%H:%M", "America/New_York"`."""
    return _format(value, fmt, zone_name, now=_now(context), offset_unit="minutes")


@with_context
def legacy_date_filter(value: object, fmt: object = None, zone_name: object = None, *, context: StrictContext) -> object:
    """Legacy `date`: a time zone comes from the `timezone` filter; a zone argument counts hours."""
    return _format(value, fmt, zone_name, now=_now(context), offset_unit="hours")


@with_context
def timezone_filter(value: object, zone_name: object, *, context: StrictContext) -> object:
    """Legacy `timezone: 'America/New_York'`: the same instant in that zone (offsets in hours)."""
    moment = to_datetime(value, now=_now(context))
    if moment is None:
        return value
    return moment.astimezone(zone(zone_name, offset_unit="hours"))


def _shift(value: object, delta: relativedelta, context: StrictContext) -> int:
    moment = to_datetime(value, now=_now(context))
    if moment is None:
        raise FilterArgumentError(f"expected a unix timestamp, found {value!r}", token=None)
    return int((moment + delta).timestamp())


def _amount(amount: object) -> int:
    try:
        return int(float(str(amount)))
    except ValueError:
        raise FilterArgumentError(f"expected a number, found {amount!r}", token=None) from None


@with_context
def add_day(value: object, amount: object = 1, *, context: StrictContext) -> int:
    """Unix timestamp plus N days (`'now' | date: '%s' | plus: 0 | add_day: 1`)."""
    return _shift(value, relativedelta(days=_amount(amount)), context)


@with_context
def add_month(value: object, amount: object = 1, *, context: StrictContext) -> int:
    """Unix timestamp plus N calendar months (the day is clamped to the month's last)."""
    return _shift(value, relativedelta(months=_amount(amount)), context)


@with_context
def add_year(value: object, amount: object = 1, *, context: StrictContext) -> int:
    """Unix timestamp plus N years."""
    return _shift(value, relativedelta(years=_amount(amount)), context)


@with_context
def subtract_day(value: object, amount: object = 1, *, context: StrictContext) -> int:
    """Unix timestamp minus N days."""
    return _shift(value, relativedelta(days=-_amount(amount)), context)


@with_context
def subtract_month(value: object, amount: object = 1, *, context: StrictContext) -> int:
    """Unix timestamp minus N calendar months."""
    return _shift(value, relativedelta(months=-_amount(amount)), context)


@with_context
def subtract_year(value: object, amount: object = 1, *, context: StrictContext) -> int:
    """Unix timestamp minus N years."""
    return _shift(value, relativedelta(years=-_amount(amount)), context)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _jekyll(value: object, context: StrictContext, month: str, kind: object, style: object) -> object:
    moment = to_datetime(value, now=_now(context))
    if moment is None:
        return value
    if kind == "ordinal":
        day = _ordinal(moment.day)
        if style == "US":
            return f"{moment.strftime(month)} {day}, {moment.year}"
        return f"{day} {moment.strftime(month)} {moment.year}"
    return moment.strftime(f"%d {month} %Y")


@with_context
def date_to_string(value: object, kind: object = None, style: object = None, *, context: StrictContext) -> object:
    """Jekyll: `07 Nov 2008`; `"ordinal"` → `7th Nov 2008`; `"ordinal", "US"` → `Nov 7th, 2008`."""
    return _jekyll(value, context, "%b", kind, style)


@with_context
def date_to_long_string(value: object, kind: object = None, style: object = None, *, context: StrictContext) -> object:
    """Jekyll: `07 November 2008`, with the same ordinal and US options as `date_to_string`."""
    return _jekyll(value, context, "%B", kind, style)


@with_context
def date_to_rfc822(value: object, *, context: StrictContext) -> object:
    """`Fri, 07 Nov 2008 13:07:54 +0000`."""
    moment = to_datetime(value, now=_now(context))
    return value if moment is None else moment.strftime("%a, %d %b %Y %H:%M:%S %z")


@with_context
def date_to_xmlschema(value: object, *, context: StrictContext) -> object:
    """`2008-11-07T13:07:54+00:00`."""
    moment = to_datetime(value, now=_now(context))
    return value if moment is None else moment.isoformat(timespec="seconds")
