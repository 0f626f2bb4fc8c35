"""Language variants: which of a message's languages a person receives.

Customer.io matches strictly and case-insensitively: `es-MX` matches `es-mx`, but `nl-BE` never
falls back to `nl`, and `pt_BR` (an underscore) is not a language code at all. The send request's
`language` wins when the message has that variant; then the person's language attribute (the
workspace names it); otherwise the default content goes out.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from tidings.errors import InvalidInput

__all__ = ["check_language_code", "choose_language"]

# Two- or three-letter languages, with up to two dash-separated parts: `en`, `pt-BR`, `zh-Hans`,
# `en-029`, `az-Cyrl-AZ` (the shapes of Customer.io's supported-language list).
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,4}){0,2}", re.IGNORECASE)


def check_language_code(code: Any, *, field: str) -> str:
    """The code as stored (lowercased, since matching ignores case); InvalidInput naming `field` otherwise."""
    if not isinstance(code, str) or not _LANGUAGE_CODE.fullmatch(code):
        hint = " (use a dash: pt-BR, not pt_BR)" if isinstance(code, str) and "_" in code else ""
        raise InvalidInput(f"{field} must be a language code such as 'fr' or 'pt-BR'{hint}", field=field)
    return code.lower()


def choose_language(languages: Collection[str], *, requested: Any, person_language: Any) -> str | None:
    """The variant to send, from the message's (lowercased) `languages`; None means the default."""
    for candidate in (requested, person_language):
        if isinstance(candidate, str) and candidate.lower() in languages:
            return candidate.lower()
    return None
