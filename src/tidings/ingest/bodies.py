"""Request bodies as the Track API accepts them: JSON, or the legacy form encoding.

The form encoding nests with brackets, as Rails parses it: `data[price]=23.45&data[tags][]=a`
becomes `{"data": {"price": "23.45", "tags": ["a"]}}`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from tidings.errors import InvalidInput, LimitExceeded

__all__ = ["decode_body"]

_KEY_PART = re.compile(r"\[([^\]]*)\]")
_json = msgspec.json.Decoder()
# Customer.io documents no nesting limit, but 32 KB of brackets would nest thousands deep, past
# what the decoder, the encoders and the database's JSON functions can recurse through.
_MAX_DEPTH = 64
_TOO_DEEP = f"request body cannot nest deeper than {_MAX_DEPTH} levels"
# PostgreSQL text and jsonb cannot hold U+0000; refusing it here keeps both databases alike and
# keeps such a message from reaching the log, where it could never be applied.
_NUL = "\x00"
_HAS_NUL = "request body cannot contain null characters (\\u0000)"


def decode_body(raw: bytes, *, content_type: str, limit: int) -> dict[str, Any]:
    """The body as a dict; an empty body is `{}`. Raises InvalidInput for anything else."""
    if len(raw) > limit:
        raise LimitExceeded(f"request body cannot be larger than {limit // 1024} KB", field="body")
    if not raw.strip():
        return {}
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return _decode_form(raw)
    try:
        body = _json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):  # msgspec raises the latter for bad UTF-8 in strings
        raise InvalidInput("request body must be valid JSON", field="body") from None
    except RecursionError:
        raise InvalidInput(_TOO_DEEP, field="body") from None
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object", field="body")
    _check_storable(body, raw=raw)
    return body


def _check_storable(body: dict[str, Any], *, raw: bytes) -> None:
    """Refuse nesting past `_MAX_DEPTH` and NUL in any key or string. Iterative, so never recurses."""
    # JSON can carry a NUL only as the escape \u0000 (a raw one is malformed), so without that
    # text in the body only the containers need a visit.
    may_hold_nul = b"\\u0000" in raw
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _NUL in item:
                raise InvalidInput(_HAS_NUL, field="body")
            continue
        if isinstance(item, dict):
            children: Any = [*item.keys(), *item.values()] if may_hold_nul else item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > _MAX_DEPTH:
            raise InvalidInput(_TOO_DEEP, field="body")
        if may_hold_nul:
            pending.extend((child, depth + 1) for child in children)
        else:
            pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _decode_form(raw: bytes) -> dict[str, Any]:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("request body must be valid form data", field="body") from None
    body: dict[str, Any] = {}
    for key, value in pairs:
        if _NUL in key or _NUL in value:
            raise InvalidInput(_HAS_NUL, field="body")
        head, _, rest = key.partition("[")
        path = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
        if len(path) > _MAX_DEPTH:
            raise InvalidInput(_TOO_DEEP, field="body")
        _assign(body, path, value)
    return body


def _assign(container: dict[str, Any], path: list[str], value: str) -> None:
    head, *rest = path
    if not rest:
        container[head] = value
    elif rest == [""]:
        existing = container.get(head)
        container[head] = [*existing, value] if isinstance(existing, list) else [value]
    else:
        child = container.get(head)
        if not isinstance(child, dict):
            child = container[head] = {}
        _assign(child, rest, value)
