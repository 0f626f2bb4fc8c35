"""String filters Customer.io adds to the standard set (Jekyll's and its own).

The standard ones (`capitalize`, `downcase`, `append`, `replace`, `split`, `slice`, `truncate`,
`strip`, `strip_newlines`, `escape`, `url_encode`, `size` …) come from the engine unchanged.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "htmlencode",
    "normalize_whitespace",
    "number_of_words",
    "pluralize",
    "slugify",
    "titlecase",
]

_WHITESPACE = re.compile(r"\s+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_WORD_START = re.compile(r"(^|[\s\-])(\w)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def normalize_whitespace(value: object) -> str:
    """Every run of whitespace (spaces, tabs, newlines) becomes one space."""
    return _WHITESPACE.sub(" ", _text(value))


def titlecase(value: object) -> str:
    """`the quick fox` → `The Quick Fox`; the rest of each word is left as it was."""
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), _text(value))


def slugify(value: object, mode: object = "default") -> str:
    """Jekyll's slugify: lowercase ASCII letters and digits joined by hyphens (`"raw"` only trims spaces)."""
    text = _text(value)
    if mode == "raw":
        return re.sub(r"\s+", "-", text.strip()).lower()
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def pluralize(value: object, singular: object, plural: object) -> str:
    """`count | pluralize: 'item', 'items'`: the word for that count (1 → singular)."""
    try:
        count = float(_text(value))
    except ValueError:
        count = 0
    return _text(singular) if count == 1 else _text(plural)


def number_of_words(value: object, mode: object = None) -> int:
    """Words separated by whitespace; with `"cjk"` each CJK character counts as a word."""
    text = _text(value)
    if mode in ("cjk", "auto"):
        cjk = len(_CJK.findall(text))
        if mode == "cjk" or cjk:
            return cjk + len(_CJK.sub(" ", text).split())
    return len(text.split())


def htmlencode(value: object) -> str:
    """Legacy-only HTML encoding (`escape` in latest Liquid)."""
    return html.escape(_text(value))
