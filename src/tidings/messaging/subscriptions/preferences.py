"""A person's subscription preferences and the send-time decision they make, as pure functions.

The decision follows Customer.io's subscription model. Email, SMS, push, WhatsApp and LINE respect
the global `unsubscribed`; once the subscription center is enabled they also need the person
subscribed to the message's topic (if it has one) and to the channel (if the center lists it).
In-app, inbox and Slack messages ignore `unsubscribed` and topics and respect only their channel's
preference. Sending to unsubscribed people ("All subscribed and unsubscribed", a transactional
message's `send_to_unsubscribed`) skips every check. There are no per-topic-per-channel
preferences: topic and channel are independent, and both must be subscribed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tidings.messaging.subscriptions.types import ChannelType, Preferences, SubscriptionCenter, Topic
from tidings.people import is_unsubscribed

__all__ = [
    "PREFERENCES_ATTRIBUTE",
    "compute_preferences",
    "computed_attribute",
    "preference_traits",
    "subscription_stop",
]

PREFERENCES_ATTRIBUTE = "cio_subscription_preferences"

# Channels that the global `unsubscribed` and topics apply to; the others answer to their channel only.
_MESSAGING_CHANNELS = frozenset(
    {ChannelType.EMAIL, ChannelType.SMS, ChannelType.PUSH, ChannelType.WHATSAPP, ChannelType.LINE}
)


def compute_preferences(center: SubscriptionCenter, attributes: Mapping[str, Any]) -> Preferences:
    """Every topic and channel of `center` for a person with `attributes`: what they set, else the default."""
    stored = attributes.get(PREFERENCES_ATTRIBUTE)
    stored = stored if isinstance(stored, Mapping) else {}
    topics = _map(stored.get("topics"))
    channels = _map(stored.get("channels"))
    return Preferences(
        topics={t.id: _flag(topics.get(t.identifier), t.subscribed_by_default) for t in center.topics},
        channels={
            c.type: _flag(channels.get(c.type.value), c.subscribed_by_default) for c in center.channels
        },
        is_unsubscribed=is_unsubscribed(attributes.get("unsubscribed")),
    )


def computed_attribute(center: SubscriptionCenter, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """`_cio_subscription_preferences_computed`: the computed preferences in the stored attribute's shape."""
    preferences = compute_preferences(center, attributes)
    return {
        "topics": {f"topic_{topic_id}": value for topic_id, value in preferences.topics.items()},
        "channels": {channel.value: value for channel, value in preferences.channels.items()},
    }


def subscription_stop(
    *,
    channel: ChannelType,
    attributes: Mapping[str, Any],
    center: SubscriptionCenter,
    topic_id: int | None,
    send_to_unsubscribed: bool,
) -> str | None:
    """Why a message on `channel` about `topic_id` must not go to a person with `attributes`, or
    None when it may. A topic the center no longer has does not gate (a topic in use cannot be
    deleted)."""
    if send_to_unsubscribed:
        return None
    is_messaging = channel in _MESSAGING_CHANNELS
    if is_messaging and is_unsubscribed(attributes.get("unsubscribed")):
        return "Customer is unsubscribed"
    if not center.is_active:
        return None
    preferences = compute_preferences(center, attributes)
    topic = center.topic(topic_id) if topic_id is not None and is_messaging else None
    if topic is not None and not preferences.topics[topic.id]:
        return f"Customer is unsubscribed from the topic {_topic_label(topic)}"
    if not preferences.channels.get(channel, True):
        return f"Customer is unsubscribed from the {channel.value} channel"
    return None


def preference_traits(
    *, topics: Mapping[int, bool] | None = None, channels: Mapping[ChannelType, bool] | None = None
) -> dict[str, bool]:
    """Identify traits that set these preferences and leave the others as they are (dot keys merge)."""
    traits = {
        f"{PREFERENCES_ATTRIBUTE}.topics.topic_{topic_id}": value
        for topic_id, value in (topics or {}).items()
    }
    traits.update(
        {
            f"{PREFERENCES_ATTRIBUTE}.channels.{channel.value}": value
            for channel, value in (channels or {}).items()
        }
    )
    return traits


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _flag(value: Any, default: bool) -> bool:
    """A stored preference: a boolean, or "true"/"false" in any case (CSV imports and forms send text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return default


def _topic_label(topic: Topic) -> str:
    return f"{topic.identifier} ({topic.name})"
