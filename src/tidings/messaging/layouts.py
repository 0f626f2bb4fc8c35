"""Email layouts: HTML a message's body is placed in, where the layout says `{{content}}`.

Customer.io's layouts wrap code and rich-text emails; `{{content}}` is mandatory, and the usual
footer carries `{% unsubscribe_url %}`. A layout renders with the message's data and Liquid
version. Unlike Customer.io, tidings checks a layout's Liquid when it is saved, so a broken
layout is refused instead of failing every email that uses it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.messaging import queries
from tidings.messaging.errors import TemplateInvalid
from tidings.messaging.liquid import validate_layout
from tidings.messaging.types import Layout

__all__ = ["create_layout", "delete_layout", "find_layout", "update_layout"]


def create_layout(conn: Connection, *, workspace_id: int, name: Any, html: Any, now: datetime) -> Layout:
    """Raise InvalidInput naming `name` or `html` (which must hold `{{content}}`)."""
    layout = Layout(id=0, name=_name(name), html=_html(html), created_at=now, updated_at=now)
    return replace(layout, id=queries.insert_layout(conn, workspace_id=workspace_id, layout=layout))


def update_layout(conn: Connection, *, workspace_id: int, layout_id: int, changes: dict[str, Any], now: datetime) -> Layout:
    """Change the name or HTML given; emails sent from now on use the new HTML."""
    layout = find_layout(conn, workspace_id=workspace_id, layout_id=layout_id)
    updated = replace(
        layout,
        name=_name(changes["name"]) if "name" in changes else layout.name,
        html=_html(changes["html"]) if "html" in changes else layout.html,
        updated_at=now,
    )
    queries.update_layout(conn, workspace_id=workspace_id, layout=updated)
    return updated


def delete_layout(conn: Connection, *, workspace_id: int, layout_id: int) -> None:
    """Raise NotFound, or Conflict while a transactional message uses the layout."""
    find_layout(conn, workspace_id=workspace_id, layout_id=layout_id)
    users = [
        template.id
        for template in queries.list_transactional_messages(conn, workspace_id=workspace_id)
        if template.settings.layout_id == layout_id
    ]
    if users:
        raise Conflict(f"layout {layout_id} is used by transactional message {users[0]}; change it first")
    queries.delete_layout(conn, workspace_id=workspace_id, layout_id=layout_id)


def find_layout(conn: Connection, *, workspace_id: int, layout_id: int) -> Layout:
    """Raise NotFound when the workspace has no layout of that number."""
    found = queries.find_layouts(conn, workspace_id=workspace_id, layout_ids=[layout_id])
    if layout_id not in found:
        raise NotFound("layout not found")
    return found[layout_id]


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name is required", field="name")
    return value.strip()[:200]


def _html(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput("html is required and must be text", field="html")
    try:
        validate_layout(value)
    except TemplateInvalid as exc:
        raise InvalidInput(f"html: {exc}", field="html") from None
    return value
