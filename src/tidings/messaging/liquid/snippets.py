"""Snippets: shared content referenced as `{{snippets.name}}`, and the limits on their size.

A snippet's value is text, HTML or Liquid (rendered with the recipient's data, but never seeing
variables the message body assigned), or JSON. Liquid inside a JSON object's strings renders;
inside a JSON array it stays literal text, as Customer.io documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping

from liquid.exceptions import LiquidError

from tidings.messaging.errors import SnippetTooLarge
from tidings.messaging.liquid.types import Snippet

__all__ = [
    "MAX_SNIPPET_BYTES",
    "MAX_WORKSPACE_SNIPPETS_BYTES",
    "SnippetsDrop",
    "parse_snippet",
    "validate_snippets",
]

MAX_SNIPPET_BYTES = 16 * 1024
"""Customer.io: "the default max size for an individual snippet is 16 KB"."""

MAX_WORKSPACE_SNIPPETS_BYTES = 5 * 1024 * 1024
"""Customer.io: "The sum of all snippets in a workspace must be less than 5 MB"."""


def validate_snippets(
    snippets: Iterable[Snippet],
    *,
    max_snippet_bytes: int = MAX_SNIPPET_BYTES,
    max_total_bytes: int = MAX_WORKSPACE_SNIPPETS_BYTES,
) -> None:
    """Raise `SnippetTooLarge` if one snippet's value is over its limit or all of them reach theirs.

    Sizes are UTF-8 bytes of the values. Limits are arguments because Customer.io raises them per
    workspace on request.
    """
    total = 0
    for snippet in snippets:
        size = len(snippet.value.encode())
        if size > max_snippet_bytes:
            raise SnippetTooLarge(
                f"snippet '{snippet.name}' is {size} bytes; a snippet can be at most {max_snippet_bytes // 1024} KB",
                field=snippet.name,
            )
        total += size
    if total >= max_total_bytes:
        raise SnippetTooLarge(
            f"snippets in a workspace must total less than {max_total_bytes // (1024 * 1024)} MB ({total} bytes)",
            field="snippets",
        )


def parse_snippet(value: str) -> object | None:
    """The JSON a snippet holds (an object or array), or None when it is text or Liquid."""
    text = value.lstrip()
    if not text.startswith(("{", "[")) or text.startswith(("{{", "{%")):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, (dict, list)) else None


class SnippetsDrop(Mapping[str, object]):
    """The `snippets` namespace of one render: each snippet rendered on first use, then kept.

    `render_text` renders Liquid with the render's data but a fresh set of local variables.
    """

    __slots__ = ("_sources", "_render_text", "_parse", "_done", "_active")

    def __init__(
        self,
        sources: Mapping[str, str],
        *,
        render_text: Callable[[str], str],
        parse: Callable[[str], object | None],
    ) -> None:
        self._sources = sources
        self._render_text = render_text
        self._parse = parse
        self._done: dict[str, object] = {}
        self._active: set[str] = set()

    def __getitem__(self, name: str) -> object:
        if name in self._done:
            return self._done[name]
        source = self._sources[name]
        if name in self._active:
            raise LiquidError(f"snippet '{name}' includes itself", token=None)
        self._active.add(name)
        try:
            data = self._parse(source)
            value = self._render_text(source) if data is None else self._render_json(data)
        finally:
            self._active.discard(name)
        self._done[name] = value
        return value

    def _render_json(self, data: object) -> object:
        if isinstance(data, dict):
            return {key: self._render_json(value) for key, value in data.items()}
        if isinstance(data, str) and ("{{" in data or "{%" in data):
            return self._render_text(data)
        return data  # arrays (and what they hold) stay as written

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def __contains__(self, name: object) -> bool:
        return name in self._sources
