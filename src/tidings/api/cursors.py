"""Opaque paging cursors: a (time, key) position in a newest-first list, handed back as `start`."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from tidings.errors import InvalidInput

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(moment: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{key}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position `encode_cursor` wrote; InvalidInput (naming `start`) for anything else."""
    try:
        moment, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(moment), key
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("start is not a cursor this API returned", field="start") from None
