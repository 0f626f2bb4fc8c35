"""Every statement about transactional message templates, layouts, snippets and deliveries. Rows in, values out."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, tuple_, update
from sqlalchemy.engine import Connection, Row

from tidings.db.dialect import insert_ignoring_conflicts
from tidings.db.schema import deliveries, email_suppressions, layouts, snippets, transactional_messages
from tidings.messaging.liquid import Snippet
from tidings.messaging.types import (
    Delivery,
    DeliveryChannel,
    DeliverySource,
    DeliveryStatus,
    Layout,
    TransactionalMessage,
    TransactionalSettings,
)

__all__ = [
    "claim_due_deliveries",
    "delete_layout",
    "delete_snippet",
    "find_delivery",
    "find_delivery_in_any_workspace",
    "find_layouts",
    "find_suppressed_email_keys",
    "find_transactional_message",
    "find_transactional_message_by_trigger",
    "insert_delivery",
    "insert_email_suppression",
    "insert_layout",
    "insert_transactional_message",
    "list_deliveries",
    "list_layouts",
    "list_snippets",
    "list_template_milestones",
    "list_transactional_messages",
    "update_deliveries",
    "update_delivery",
    "update_layout",
    "update_transactional_message",
    "upsert_snippet",
]


def _template(row: Row[Any]) -> TransactionalMessage:
    return TransactionalMessage(
        id=row.id,
        name=row.name,
        trigger_name=row.trigger_name,
        description=row.description,
        settings=TransactionalSettings(**row.settings),
        content={channel: dict(fields) for channel, fields in row.content.items()},
        created_at=row.created_at,
        updated_at=row.updated_at,
        translations={language: dict(content) for language, content in (row.translations or {}).items()},
    )


def _template_values(template: TransactionalMessage) -> dict[str, Any]:
    settings = template.settings
    return {
        "name": template.name,
        "trigger_name": template.trigger_name,
        "trigger_key": template.trigger_name.lower() if template.trigger_name else None,
        "description": template.description,
        "settings": {
            "send_to_unsubscribed": settings.send_to_unsubscribed,
            "tracked": settings.tracked,
            "queue_draft": settings.queue_draft,
            "disable_message_retention": settings.disable_message_retention,
            "disable_css_preprocessing": settings.disable_css_preprocessing,
            "topic_id": settings.topic_id,
            "layout_id": settings.layout_id,
        },
        "content": template.content,
        "translations": template.translations,
        "updated_at": template.updated_at,
    }


def insert_transactional_message(conn: Connection, *, workspace_id: int, template: TransactionalMessage) -> int:
    """Store a new template; returns its number."""
    values = {**_template_values(template), "workspace_id": workspace_id, "created_at": template.created_at}
    return conn.execute(insert(transactional_messages).values(values).returning(transactional_messages.c.id)).scalar_one()


def update_transactional_message(conn: Connection, *, workspace_id: int, template: TransactionalMessage) -> None:
    conn.execute(
        update(transactional_messages)
        .where(transactional_messages.c.workspace_id == workspace_id, transactional_messages.c.id == template.id)
        .values(_template_values(template))
    )


def find_transactional_message(conn: Connection, *, workspace_id: int, message_id: int) -> TransactionalMessage | None:
    row = conn.execute(
        select(transactional_messages).where(
            transactional_messages.c.workspace_id == workspace_id, transactional_messages.c.id == message_id
        )
    ).first()
    return _template(row) if row else None


def find_transactional_message_by_trigger(
    conn: Connection, *, workspace_id: int, trigger_name: str
) -> TransactionalMessage | None:
    """Trigger names match case-insensitively, as at Customer.io."""
    row = conn.execute(
        select(transactional_messages).where(
            transactional_messages.c.workspace_id == workspace_id,
            transactional_messages.c.trigger_key == trigger_name.lower(),
        )
    ).first()
    return _template(row) if row else None


def list_transactional_messages(conn: Connection, *, workspace_id: int) -> list[TransactionalMessage]:
    rows = conn.execute(
        select(transactional_messages)
        .where(transactional_messages.c.workspace_id == workspace_id)
        .order_by(transactional_messages.c.id)
    )
    return [_template(row) for row in rows]


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(
        id=row.id,
        cio_id=row.cio_id,
        channel=DeliveryChannel(row.channel),
        source=DeliverySource(row.source),
        transactional_message_id=row.transactional_message_id,
        status=DeliveryStatus(row.status),
        request=dict(row.request),
        milestones=dict(row.milestones),
        created_at=row.created_at,
        updated_at=row.updated_at,
        rendered=dict(row.rendered) if row.rendered is not None else None,
        failure_message=row.failure_message,
        attempts=row.attempts,
        due_at=row.due_at,
    )


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    return {
        "status": delivery.status.value,
        "rendered": delivery.rendered,
        "milestones": delivery.milestones,
        "failure_message": delivery.failure_message,
        "attempts": delivery.attempts,
        "due_at": delivery.due_at,
        "updated_at": delivery.updated_at,
    }


def insert_delivery(conn: Connection, *, workspace_id: int, delivery: Delivery) -> None:
    conn.execute(
        insert(deliveries).values(
            workspace_id=workspace_id,
            id=delivery.id,
            cio_id=delivery.cio_id,
            channel=delivery.channel.value,
            source=delivery.source.value,
            transactional_message_id=delivery.transactional_message_id,
            request=delivery.request,
            created_at=delivery.created_at,
            **_delivery_values(delivery),
        )
    )


def update_delivery(conn: Connection, *, workspace_id: int, delivery: Delivery) -> None:
    """Store a delivery's status, milestones, content and schedule as given."""
    conn.execute(
        update(deliveries)
        .where(deliveries.c.workspace_id == workspace_id, deliveries.c.id == delivery.id)
        .values(_delivery_values(delivery))
    )


_UPDATE_DELIVERY = update(deliveries).where(
    deliveries.c.workspace_id == bindparam("key_workspace_id"), deliveries.c.id == bindparam("key_id")
)


def update_deliveries(conn: Connection, *, deliveries: Sequence[tuple[int, Delivery]]) -> None:
    """`update_delivery` for each (workspace id, delivery), in one statement executed for all."""
    if deliveries:
        conn.execute(
            _UPDATE_DELIVERY,
            [
                {"key_workspace_id": workspace_id, "key_id": delivery.id, **_delivery_values(delivery)}
                for workspace_id, delivery in deliveries
            ],
        )


def find_delivery(conn: Connection, *, workspace_id: int, delivery_id: str) -> Delivery | None:
    row = conn.execute(
        select(deliveries).where(deliveries.c.workspace_id == workspace_id, deliveries.c.id == delivery_id)
    ).first()
    return _delivery(row) if row else None


def find_delivery_in_any_workspace(conn: Connection, *, delivery_id: str) -> tuple[int, Delivery] | None:
    """A delivery and its workspace, by id alone: tracking links and unsubscribe pages name no
    workspace. Delivery ids are ULIDs, unique in practice across workspaces."""
    row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id).limit(1)).first()
    return (row.workspace_id, _delivery(row)) if row else None


def list_deliveries(
    conn: Connection,
    *,
    workspace_id: int,
    cio_id: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
    transactional_message_id: int | None = None,
) -> list[Delivery]:
    """Deliveries newest first (of one person when `cio_id` is given, of one template when
    `transactional_message_id` is), continuing after `before`."""
    statement = (
        select(deliveries)
        .where(deliveries.c.workspace_id == workspace_id)
        .order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc())
        .limit(limit)
    )
    if cio_id is not None:
        statement = statement.where(deliveries.c.cio_id == cio_id)
    if transactional_message_id is not None:
        statement = statement.where(deliveries.c.transactional_message_id == transactional_message_id)
    if before is not None:
        statement = statement.where(tuple_(deliveries.c.created_at, deliveries.c.id) < tuple_(*before))
    return [_delivery(row) for row in conn.execute(statement)]


def list_template_milestones(
    conn: Connection, *, workspace_id: int, transactional_message_id: int, since: datetime
) -> list[tuple[datetime, dict[str, int]]]:
    """(created_at, milestones) of a template's deliveries that changed since `since`."""
    rows = conn.execute(
        select(deliveries.c.created_at, deliveries.c.milestones).where(
            deliveries.c.workspace_id == workspace_id,
            deliveries.c.transactional_message_id == transactional_message_id,
            deliveries.c.updated_at >= since,
        )
    )
    return [(row.created_at, dict(row.milestones)) for row in rows]


_LEASE = (
    update(deliveries)
    .where(deliveries.c.workspace_id == bindparam("key_workspace_id"), deliveries.c.id == bindparam("key_id"))
    .values(due_at=bindparam("lease_until"), attempts=deliveries.c.attempts + 1)
)


def claim_due_deliveries(
    conn: Connection, *, channel: DeliveryChannel, now: datetime, lease_until: datetime, limit: int
) -> list[tuple[int, Delivery]]:
    """Take up to `limit` deliveries due by `now`, leasing them until `lease_until` and counting the
    attempt. A sender that dies mid-send leaves its lease to run out, and the delivery is tried again.
    On PostgreSQL concurrent senders skip each other's rows; SQLite has one writer at a time.
    """
    statement = (
        select(deliveries)
        .where(deliveries.c.due_at <= now, deliveries.c.channel == channel.value)
        .order_by(deliveries.c.due_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = conn.execute(statement).all()
    if rows:
        conn.execute(
            _LEASE,
            [{"key_workspace_id": row.workspace_id, "key_id": row.id, "lease_until": lease_until} for row in rows],
        )
    return [(row.workspace_id, replace(_delivery(row), attempts=row.attempts + 1)) for row in rows]


def find_suppressed_email_keys(conn: Connection, *, workspace_id: int, email_keys: Collection[str]) -> set[str]:
    """Which of `email_keys` are on the workspace's email suppression list."""
    if not email_keys:
        return set()
    rows = conn.execute(
        select(email_suppressions.c.email_key).where(
            email_suppressions.c.workspace_id == workspace_id, email_suppressions.c.email_key.in_(list(email_keys))
        )
    )
    return set(rows.scalars())


def insert_email_suppression(
    conn: Connection, *, workspace_id: int, email_key: str, reason: str, detail: str | None, now: datetime
) -> None:
    """Suppress an address; one already suppressed keeps its first reason."""
    insert_ignoring_conflicts(
        conn,
        email_suppressions,
        {"workspace_id": workspace_id, "email_key": email_key, "reason": reason, "detail": detail, "created_at": now},
    )


def list_snippets(conn: Connection, *, workspace_id: int) -> list[Snippet]:
    """The workspace's snippets, by name."""
    rows = conn.execute(
        select(snippets.c.name, snippets.c.value, snippets.c.updated_at)
        .where(snippets.c.workspace_id == workspace_id)
        .order_by(snippets.c.name)
    )
    return [Snippet(name=row.name, value=row.value, updated_at=row.updated_at) for row in rows]


def upsert_snippet(conn: Connection, *, workspace_id: int, snippet: Snippet) -> None:
    """Create the snippet, or replace the value of the one with its name."""
    values = {"value": snippet.value, "updated_at": snippet.updated_at}
    changed = conn.execute(
        update(snippets).where(snippets.c.workspace_id == workspace_id, snippets.c.name == snippet.name).values(values)
    )
    if changed.rowcount == 0:
        conn.execute(insert(snippets).values(workspace_id=workspace_id, name=snippet.name, **values))


def delete_snippet(conn: Connection, *, workspace_id: int, name: str) -> bool:
    """Whether there was a snippet of that name to delete."""
    deleted = conn.execute(delete(snippets).where(snippets.c.workspace_id == workspace_id, snippets.c.name == name))
    return deleted.rowcount > 0


def _layout(row: Row[Any]) -> Layout:
    return Layout(id=row.id, name=row.name, html=row.html, created_at=row.created_at, updated_at=row.updated_at)


def insert_layout(conn: Connection, *, workspace_id: int, layout: Layout) -> int:
    """Store a new layout; returns its number."""
    values = {"name": layout.name, "html": layout.html, "created_at": layout.created_at, "updated_at": layout.updated_at}
    return conn.execute(
        insert(layouts).values(workspace_id=workspace_id, **values).returning(layouts.c.id)
    ).scalar_one()


def update_layout(conn: Connection, *, workspace_id: int, layout: Layout) -> None:
    conn.execute(
        update(layouts)
        .where(layouts.c.workspace_id == workspace_id, layouts.c.id == layout.id)
        .values(name=layout.name, html=layout.html, updated_at=layout.updated_at)
    )


def delete_layout(conn: Connection, *, workspace_id: int, layout_id: int) -> None:
    conn.execute(delete(layouts).where(layouts.c.workspace_id == workspace_id, layouts.c.id == layout_id))


def list_layouts(conn: Connection, *, workspace_id: int) -> list[Layout]:
    rows = conn.execute(select(layouts).where(layouts.c.workspace_id == workspace_id).order_by(layouts.c.id))
    return [_layout(row) for row in rows]


def find_layouts(conn: Connection, *, workspace_id: int, layout_ids: Collection[int]) -> dict[int, Layout]:
    """The layouts of those numbers that exist, by number."""
    if not layout_ids:
        return {}
    rows = conn.execute(
        select(layouts).where(layouts.c.workspace_id == workspace_id, layouts.c.id.in_(list(layout_ids)))
    )
    return {row.id: _layout(row) for row in rows}
