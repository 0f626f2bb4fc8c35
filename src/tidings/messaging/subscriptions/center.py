"""Setting up a workspace's subscription center: topics, channels, and enabling it.

Customer.io's rules: topic ids count from 1 per workspace and are never reused (people's
preferences name them); a topic's default status is chosen when it is added and never changes
(new topics are opt-out, "subscribed", unless told otherwise); a topic a message still uses cannot
be deleted; channels must be added one by one and need at least one topic; and the center gates
nothing until it is enabled, which also needs a topic.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.messaging import queries as message_queries
from tidings.messaging.subscriptions import queries
from tidings.messaging.subscriptions.types import ChannelType, SubscriptionCenter, SubscriptionChannel, Topic
from tidings.messaging.types import Delivery

__all__ = [
    "add_channel",
    "create_topic",
    "delete_topic",
    "delivery_topic",
    "find_topic",
    "read_subscription_center",
    "remove_channel",
    "set_subscription_center_enabled",
    "update_topic",
]

_NAME_CHARACTERS = 200


def read_subscription_center(conn: Connection, *, workspace_id: int) -> SubscriptionCenter:
    """The workspace's topics and channels and whether they gate sending."""
    return queries.read_center(conn, workspace_id=workspace_id)


def find_topic(conn: Connection, *, workspace_id: int, topic_id: int) -> Topic:
    """Raise NotFound when the workspace has no such topic."""
    topic = read_subscription_center(conn, workspace_id=workspace_id).topic(topic_id)
    if topic is None:
        raise NotFound("subscription topic not found")
    return topic


def delivery_topic(conn: Connection, *, workspace_id: int, delivery: Delivery) -> Topic | None:
    """The topic a delivery's message belongs to while the center gates sending, else None: what
    its unsubscribe link offers to leave."""
    if delivery.transactional_message_id is None:
        return None
    template = message_queries.find_transactional_message(
        conn, workspace_id=workspace_id, message_id=delivery.transactional_message_id
    )
    center = read_subscription_center(conn, workspace_id=workspace_id)
    if template is None or template.settings.topic_id is None or not center.is_active:
        return None
    return center.topic(template.settings.topic_id)


def create_topic(
    conn: Connection,
    *,
    workspace_id: int,
    name: Any,
    description: Any,
    subscribed_by_default: Any,
    now: datetime,
) -> Topic:
    """Add a topic under the workspace's next id; raise InvalidInput naming a bad field."""
    name, description, default = (
        _name(name),
        _description(description),
        _default_status(subscribed_by_default),
    )
    topic = Topic(
        id=queries.next_id(conn, workspace_id=workspace_id, kind="topic", now=now),
        name=name,
        description=description,
        subscribed_by_default=default,
        created_at=now,
        updated_at=now,
    )
    queries.insert_topic(conn, workspace_id=workspace_id, topic=topic)
    return topic


def update_topic(
    conn: Connection, *, workspace_id: int, topic_id: int, changes: dict[str, Any], now: datetime
) -> Topic:
    """Rename a topic or change its description; its default status cannot change."""
    topic = find_topic(conn, workspace_id=workspace_id, topic_id=topic_id)
    default = changes.get("subscribed_by_default", topic.subscribed_by_default)
    if default != topic.subscribed_by_default:
        raise InvalidInput(
            "subscribed_by_default cannot be changed after the topic is added", field="subscribed_by_default"
        )
    updated = replace(
        topic,
        name=_name(changes["name"]) if "name" in changes else topic.name,
        description=_description(changes["description"]) if "description" in changes else topic.description,
        updated_at=now,
    )
    queries.update_topic(conn, workspace_id=workspace_id, topic=updated)
    return updated


def delete_topic(conn: Connection, *, workspace_id: int, topic_id: int) -> None:
    """Delete a topic; Conflict while a message uses it, or when an enabled center would be left with none."""
    center = read_subscription_center(conn, workspace_id=workspace_id)
    if center.topic(topic_id) is None:
        raise NotFound("subscription topic not found")
    users = [
        template.id
        for template in message_queries.list_transactional_messages(conn, workspace_id=workspace_id)
        if template.settings.topic_id == topic_id
    ]
    if users:
        raise Conflict(
            f"topic_{topic_id} is the subscription topic of transactional message {users[0]}; change it first"
        )
    if center.is_enabled and len(center.topics) == 1:
        raise Conflict("the subscription center is enabled and needs at least one topic; disable it first")
    queries.delete_topic(conn, workspace_id=workspace_id, topic_id=topic_id)


def add_channel(
    conn: Connection,
    *,
    workspace_id: int,
    type: Any,
    description: Any,
    subscribed_by_default: Any,
    now: datetime,
) -> SubscriptionChannel:
    """Add a channel people can opt in or out of; Conflict when it is there already or there is no topic."""
    channel_type = _channel_type(type)
    if not read_subscription_center(conn, workspace_id=workspace_id).topics:
        raise Conflict("channel preferences need at least one topic: add a topic first")
    description, default = _description(description), _default_status(subscribed_by_default)
    channel = SubscriptionChannel(
        id=queries.next_id(conn, workspace_id=workspace_id, kind="channel", now=now),
        type=channel_type,
        description=description,
        subscribed_by_default=default,
        created_at=now,
    )
    if not queries.insert_channel(conn, workspace_id=workspace_id, channel=channel):
        raise Conflict(f"the {channel_type.value} channel is in the subscription center already")
    return channel


def remove_channel(conn: Connection, *, workspace_id: int, type: Any) -> None:
    """Stop asking people about a channel; their stored preferences for it stay."""
    if not queries.delete_channel(conn, workspace_id=workspace_id, channel=_channel_type(type)):
        raise NotFound("subscription channel not found")


def set_subscription_center_enabled(
    conn: Connection, *, workspace_id: int, is_enabled: Any, now: datetime
) -> SubscriptionCenter:
    """Enable or disable the center; enabling needs a topic (Customer.io's "Enable" needs one too)."""
    if not isinstance(is_enabled, bool):
        raise InvalidInput("enabled must be true or false", field="enabled")
    if is_enabled and not read_subscription_center(conn, workspace_id=workspace_id).topics:
        raise Conflict("add at least one topic before enabling the subscription center")
    queries.set_enabled(conn, workspace_id=workspace_id, is_enabled=is_enabled, now=now)
    return read_subscription_center(conn, workspace_id=workspace_id)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name is required", field="name")
    if len(value.strip()) > _NAME_CHARACTERS:
        raise InvalidInput(f"name cannot be longer than {_NAME_CHARACTERS} characters", field="name")
    return value.strip()


def _description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("description must be text", field="description")
    return value.strip()


def _default_status(value: Any) -> bool:
    """New topics and channels are opt-out (people are subscribed) unless told otherwise."""
    if value is None:
        return True
    if not isinstance(value, bool):
        raise InvalidInput("subscribed_by_default must be true or false", field="subscribed_by_default")
    return value


def _channel_type(value: Any) -> ChannelType:
    try:
        return ChannelType(value)
    except ValueError:
        names = ", ".join(channel.value for channel in ChannelType)
        raise InvalidInput(f"type must be one of: {names}", field="type") from None
