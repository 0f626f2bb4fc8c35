"""Every statement about a workspace's subscription center, topics and channels. Rows in, values out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Row

from tidings.db.dialect import insert_ignoring_conflicts
from tidings.db.schema import subscription_centers, subscription_channels, subscription_topics
from tidings.messaging.subscriptions.types import ChannelType, SubscriptionCenter, SubscriptionChannel, Topic

__all__ = [
    "delete_channel",
    "delete_topic",
    "insert_channel",
    "insert_topic",
    "next_id",
    "read_center",
    "set_enabled",
    "update_topic",
]


def _topic(row: Row[Any]) -> Topic:
    return Topic(
        id=row.id,
        name=row.name,
        description=row.description,
        subscribed_by_default=bool(row.subscribed_by_default),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _channel(row: Row[Any]) -> SubscriptionChannel:
    return SubscriptionChannel(
        id=row.id,
        type=ChannelType(row.type),
        description=row.description,
        subscribed_by_default=bool(row.subscribed_by_default),
        created_at=row.created_at,
    )


def read_center(conn: Connection, *, workspace_id: int) -> SubscriptionCenter:
    """The workspace's center; one never set up is disabled, with no topics or channels."""
    is_enabled = conn.execute(
        select(subscription_centers.c.is_enabled).where(subscription_centers.c.workspace_id == workspace_id)
    ).scalar()
    topics = conn.execute(
        select(subscription_topics)
        .where(subscription_topics.c.workspace_id == workspace_id)
        .order_by(subscription_topics.c.id)
    )
    channels = conn.execute(
        select(subscription_channels)
        .where(subscription_channels.c.workspace_id == workspace_id)
        .order_by(subscription_channels.c.id)
    )
    return SubscriptionCenter(
        is_enabled=bool(is_enabled),
        topics=tuple(_topic(row) for row in topics),
        channels=tuple(_channel(row) for row in channels),
    )


def _ensure_center(conn: Connection, *, workspace_id: int, now: datetime) -> None:
    insert_ignoring_conflicts(conn, subscription_centers, {"workspace_id": workspace_id, "updated_at": now})


def next_id(conn: Connection, *, workspace_id: int, kind: Literal["topic", "channel"], now: datetime) -> int:
    """The next topic or channel id of the workspace, from 1; the update locks the counter row."""
    _ensure_center(conn, workspace_id=workspace_id, now=now)
    column = (
        subscription_centers.c.last_topic_id if kind == "topic" else subscription_centers.c.last_channel_id
    )
    statement = (
        update(subscription_centers)
        .where(subscription_centers.c.workspace_id == workspace_id)
        .values({column: column + 1, "updated_at": now})
        .returning(column)
    )
    return conn.execute(statement).scalar_one()


def set_enabled(conn: Connection, *, workspace_id: int, is_enabled: bool, now: datetime) -> None:
    """Turn the gate of topics and channels on or off."""
    _ensure_center(conn, workspace_id=workspace_id, now=now)
    conn.execute(
        update(subscription_centers)
        .where(subscription_centers.c.workspace_id == workspace_id)
        .values(is_enabled=is_enabled, updated_at=now)
    )


def insert_topic(conn: Connection, *, workspace_id: int, topic: Topic) -> None:
    """Store a new topic under the id `next_id` gave it."""
    conn.execute(
        subscription_topics.insert().values(
            workspace_id=workspace_id,
            id=topic.id,
            name=topic.name,
            description=topic.description,
            subscribed_by_default=topic.subscribed_by_default,
            created_at=topic.created_at,
            updated_at=topic.updated_at,
        )
    )


def update_topic(conn: Connection, *, workspace_id: int, topic: Topic) -> None:
    """Store a topic's name and description (its default status never changes)."""
    conn.execute(
        update(subscription_topics)
        .where(subscription_topics.c.workspace_id == workspace_id, subscription_topics.c.id == topic.id)
        .values(name=topic.name, description=topic.description, updated_at=topic.updated_at)
    )


def delete_topic(conn: Connection, *, workspace_id: int, topic_id: int) -> None:
    """Remove a topic; people's stored preferences for it stay, as Customer.io keeps them."""
    conn.execute(
        delete(subscription_topics).where(
            subscription_topics.c.workspace_id == workspace_id, subscription_topics.c.id == topic_id
        )
    )


def insert_channel(conn: Connection, *, workspace_id: int, channel: SubscriptionChannel) -> bool:
    """Add a channel; False when the workspace has that channel already."""
    return insert_ignoring_conflicts(
        conn,
        subscription_channels,
        {
            "workspace_id": workspace_id,
            "type": channel.type.value,
            "id": channel.id,
            "description": channel.description,
            "subscribed_by_default": channel.subscribed_by_default,
            "created_at": channel.created_at,
        },
    )


def delete_channel(conn: Connection, *, workspace_id: int, channel: ChannelType) -> bool:
    """Remove a channel from the center; False when it was not there."""
    result = conn.execute(
        delete(subscription_channels).where(
            subscription_channels.c.workspace_id == workspace_id,
            subscription_channels.c.type == channel.value,
        )
    )
    return result.rowcount > 0
