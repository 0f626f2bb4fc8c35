"""`Content-Encoding` of request bodies: identity, gzip and deflate, inflated within a size limit.

Inflating stops one byte past the limit, so a small compressed body cannot expand without bound.
"""

from __future__ import annotations

import zlib

from tidings.errors import InvalidInput, LimitExceeded

__all__ = ["decompress_body"]

_GZIP_WINDOW = 16 + zlib.MAX_WBITS
_ZLIB_WINDOW = zlib.MAX_WBITS
_RAW_DEFLATE_WINDOW = -zlib.MAX_WBITS


def decompress_body(raw: bytes, *, encoding: str, limit: int) -> bytes:
    """`raw` decoded per `encoding`; refuses an unknown encoding, a corrupt stream and more than `limit` bytes."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        body = raw
    elif name in ("gzip", "x-gzip"):
        body = _inflate(raw, window=_GZIP_WINDOW, encoding="gzip", limit=limit)
    elif name == "deflate":
        # RFC 9110 deflate is zlib-wrapped, but some clients send a raw stream; accept both.
        try:
            body = _inflate(raw, window=_ZLIB_WINDOW, encoding="deflate", limit=limit)
        except LimitExceeded:
            raise
        except InvalidInput:
            body = _inflate(raw, window=_RAW_DEFLATE_WINDOW, encoding="deflate", limit=limit)
    else:
        raise InvalidInput(f"unsupported Content-Encoding: {encoding}", field="Content-Encoding")
    if len(body) > limit:
        raise LimitExceeded(f"request body cannot be larger than {limit // 1024} KB", field="body")
    return body


def _inflate(raw: bytes, *, window: int, encoding: str, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=window)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise InvalidInput(f"request body is not valid {encoding} data", field="Content-Encoding") from None
    if len(body) > limit:
        raise LimitExceeded(f"request body cannot be larger than {limit // 1024} KB", field="body")
    if not inflater.eof:
        raise InvalidInput(f"request body is not valid {encoding} data (truncated)", field="Content-Encoding")
    return body
