"""Hashes, HMACs, base64 and URL/XML escapes, as Customer.io lists them.

Digests are lowercase hex (Customer.io's examples); `hex_base64` re-encodes such a hex digest as
base64, for APIs that want `"…" | hmac_sha256: key | hex_base64`. Text is hashed as UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape_text

from liquid.exceptions import FilterArgumentError

__all__ = [
    "base64_decode",
    "base64_encode",
    "base64_url_safe_decode",
    "base64_url_safe_encode",
    "cgi_escape",
    "hex_base64",
    "hmac_sha1",
    "hmac_sha256",
    "md5",
    "sha1",
    "sha256",
    "uri_escape",
    "xml_escape",
]


def _bytes(value: object) -> bytes:
    text = "" if value is None else value if isinstance(value, str) else str(value)
    return text.encode()


def md5(value: object) -> str:
    """Hex MD5 of the text."""
    return hashlib.md5(_bytes(value), usedforsecurity=False).hexdigest()


def sha1(value: object) -> str:
    """Hex SHA-1 of the text."""
    return hashlib.sha1(_bytes(value), usedforsecurity=False).hexdigest()


def sha256(value: object) -> str:
    """Hex SHA-256 of the text (latest Liquid: the same hex form `hmac_sha256` writes)."""
    return hashlib.sha256(_bytes(value)).hexdigest()


def hmac_sha1(value: object, key: object) -> str:
    """Hex HMAC-SHA1 of the text with `key`."""
    return hmac.new(_bytes(key), _bytes(value), hashlib.sha1).hexdigest()


def hmac_sha256(value: object, key: object) -> str:
    """Hex HMAC-SHA256 of the text with `key`, e.g. for signed links to your own site."""
    return hmac.new(_bytes(key), _bytes(value), hashlib.sha256).hexdigest()


def base64_encode(value: object) -> str:
    """Standard base64 of the text's UTF-8 bytes (also named `base64`)."""
    return base64.b64encode(_bytes(value)).decode()


def _decode(value: object, *, is_url_safe: bool) -> str:
    data = _bytes(value)
    data += b"=" * (-len(data) % 4)
    try:
        raw = base64.urlsafe_b64decode(data) if is_url_safe else base64.b64decode(data, validate=True)
        return raw.decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise FilterArgumentError("invalid base64 input", token=None) from None


def base64_decode(value: object) -> str:
    """Text from standard base64."""
    return _decode(value, is_url_safe=False)


def base64_url_safe_encode(value: object) -> str:
    """URL-safe base64 (`-` and `_`), padded."""
    return base64.urlsafe_b64encode(_bytes(value)).decode()


def base64_url_safe_decode(value: object) -> str:
    """Text from URL-safe base64, padded or not."""
    return _decode(value, is_url_safe=True)


def hex_base64(value: object) -> str:
    """The bytes a hex string spells, in base64."""
    try:
        return base64.b64encode(bytes.fromhex(_bytes(value).decode())).decode()
    except ValueError:
        raise FilterArgumentError("hex_base64 expects a hexadecimal string", token=None) from None


def cgi_escape(value: object) -> str:
    """Form encoding: spaces become `+`, everything but letters, digits and `_.-~` is %-encoded."""
    return quote_plus(_bytes(value), safe="")


def uri_escape(value: object) -> str:
    """Escape a whole URI, keeping its reserved characters (`:/?#[]@!$&'()*+,;=`)."""
    return quote(_bytes(value), safe=":/?#[]@!$&'()*+,;=%")


def xml_escape(value: object) -> str:
    """Escape `&`, `<`, `>`, `"` and `'` for XML."""
    return xml_escape_text(_bytes(value).decode(), {'"': "&quot;", "'": "&#39;"})
