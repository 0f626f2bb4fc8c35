"""Telling ids from emails from cio_ids, and making new cio_ids and event ids."""

from __future__ import annotations

import random
import re
import secrets
from datetime import datetime

from tidings.people.types import IdentifierKind, ResolvedRef

__all__ = ["CIO_ID_PREFIX", "email_key", "looks_like_email", "new_cio_id", "new_event_id", "resolve_user_id"]

CIO_ID_PREFIX = "cio_"

# Customer.io accepts "Name <addr>" and bare addresses; the domain must have a dot-free-ending label.
_EMAIL = re.compile(r"^(?:[^<>@]*<)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$")


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def email_key(email: str) -> str:
    """Customer.io matches email identifiers case-insensitively but keeps what was sent."""
    return email.strip().lower()


def resolve_user_id(value: str, *, email_is_identifier: bool) -> ResolvedRef:
    """What an identifier in a Track API path (or a Pipelines userId) names.

    `cio_<id>` names a cio_id; an address names an email where email is an identifier; anything
    else is an id.
    """
    if value.startswith(CIO_ID_PREFIX) and len(value) > len(CIO_ID_PREFIX):
        return ResolvedRef(IdentifierKind.CIO_ID, value[len(CIO_ID_PREFIX) :])
    if email_is_identifier and looks_like_email(value):
        return ResolvedRef(IdentifierKind.EMAIL, value)
    return ResolvedRef(IdentifierKind.ID, value)


def new_cio_id(now: datetime) -> str:
    """A cio_id: 8 hex digits of creation time then 8 random ones, so ids sort by age."""
    return f"{int(now.timestamp()) & 0xFFFFFFFF:08x}{secrets.token_hex(4)}"


# Crockford's base 32, as ULIDs are written, two digits (10 bits) at a time.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DIGIT_PAIRS = [first + second for first in _ALPHABET for second in _ALPHABET]
_PAIR_SHIFTS = tuple(range(120, -1, -10))  # 26 digits carry 130 bits; a ULID's top two are zero


def new_event_id(timestamp: datetime) -> str:
    """A ULID of `timestamp`, as Customer.io gives an event sent without an id.

    Encoded here rather than by the ulid package, which takes about twice as long, once per event.
    """
    # Randomness to keep ids of one millisecond apart, not a secret: the faster generator will do.
    value = int(timestamp.timestamp() * 1000) << 80 | random.getrandbits(80)
    return "".join([_DIGIT_PAIRS[value >> shift & 0x3FF] for shift in _PAIR_SHIFTS])
