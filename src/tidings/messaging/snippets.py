"""A workspace's snippets: saved, limited and listed, for `{{snippets.<name>}}` in any message.

Customer.io's names are fixed once made (spaces allowed), and values are text, HTML, Liquid or
JSON. A snippet is at most 16 KB and a workspace's together under 5 MB; a save that would break
either is refused and the snippets stay as they were.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.errors import InvalidInput, NotFound
from tidings.messaging import queries
from tidings.messaging.errors import TemplateInvalid
from tidings.messaging.liquid import Snippet, validate_snippets, validate_template

__all__ = ["delete_snippet", "read_snippets", "save_snippet"]

_NAME_BYTES = 150


def save_snippet(conn: Connection, *, workspace_id: int, name: Any, value: Any, now: datetime) -> Snippet:
    """Create or replace a snippet. Raises InvalidInput naming `name` or `value`, and
    SnippetTooLarge when a limit would be broken."""
    if not isinstance(name, str) or not name.strip() or len(name.encode()) > _NAME_BYTES:
        raise InvalidInput(f"name must be a snippet name of at most {_NAME_BYTES} bytes", field="name")
    if not isinstance(value, str):
        raise InvalidInput("value must be text", field="value")
    try:
        validate_template(value)
    except TemplateInvalid as exc:
        raise InvalidInput(f"value: {exc}", field="value") from None
    snippet = Snippet(name=name, value=value, updated_at=now)
    others = [s for s in queries.list_snippets(conn, workspace_id=workspace_id) if s.name != name]
    validate_snippets([*others, snippet])
    queries.upsert_snippet(conn, workspace_id=workspace_id, snippet=snippet)
    return snippet


def read_snippets(conn: Connection, *, workspace_id: int) -> dict[str, str]:
    """What `{{snippets.<name>}}` finds in the workspace's messages: each value by name."""
    return {snippet.name: snippet.value for snippet in queries.list_snippets(conn, workspace_id=workspace_id)}


def delete_snippet(conn: Connection, *, workspace_id: int, name: str) -> None:
    """Raise NotFound when there is no snippet of that name. Messages that still name it fail to
    render with `Variable 'snippets.<name>' is missing`, as at Customer.io."""
    if not queries.delete_snippet(conn, workspace_id=workspace_id, name=name):
        raise NotFound("snippet not found")
