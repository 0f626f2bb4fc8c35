"""The subscription center as values: topics, channels, and a person's preferences with defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["ChannelType", "Preferences", "SubscriptionCenter", "SubscriptionChannel", "Topic"]


class ChannelType(StrEnum):
    """The channels people can opt in or out of: the keys of `cio_subscription_preferences.channels`."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    IN_APP = "in_app"
    WHATSAPP = "whatsapp"
    SLACK = "slack"
    LINE = "line"
    INBOX = "inbox"

    @property
    def label(self) -> str:
        """How the preferences page and the API name the channel."""
        return _LABELS[self]


_LABELS = {
    ChannelType.EMAIL: "Email",
    ChannelType.SMS: "SMS",
    ChannelType.PUSH: "Push notifications",
    ChannelType.IN_APP: "In-app messages",
    ChannelType.WHATSAPP: "WhatsApp",
    ChannelType.SLACK: "Slack",
    ChannelType.LINE: "LINE",
    ChannelType.INBOX: "Inbox",
}


@dataclass(frozen=True, slots=True)
class Topic:
    """A kind of message people subscribe to. `subscribed_by_default` is true for an opt-out topic
    (people get it until they unsubscribe) and false for an opt-in one; it never changes."""

    id: int
    name: str
    description: str
    subscribed_by_default: bool
    created_at: datetime
    updated_at: datetime

    @property
    def identifier(self) -> str:
        """The key of the topic in people's preferences (`topic_4`): ids, not names, so a rename is safe."""
        return f"topic_{self.id}"


@dataclass(frozen=True, slots=True)
class SubscriptionChannel:
    """A channel added to the subscription center; channels not added are not asked about."""

    id: int
    type: ChannelType
    description: str
    subscribed_by_default: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionCenter:
    """A workspace's topics and channels, in the order they were added, and whether they gate sending."""

    is_enabled: bool
    topics: tuple[Topic, ...] = ()
    channels: tuple[SubscriptionChannel, ...] = ()

    @property
    def is_active(self) -> bool:
        """Preferences gate sending once the center is enabled, and only while it has a topic:
        Customer.io needs at least one topic for channel preferences too."""
        return self.is_enabled and bool(self.topics)

    def topic(self, topic_id: int) -> Topic | None:
        return next((topic for topic in self.topics if topic.id == topic_id), None)

    def channel(self, channel: ChannelType) -> SubscriptionChannel | None:
        return next((added for added in self.channels if added.type is channel), None)


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's preferences for every topic and channel of the center, the defaults filled in for
    what they never set (Customer.io's `_cio_subscription_preferences_computed`)."""

    topics: dict[int, bool]
    channels: dict[ChannelType, bool]
    is_unsubscribed: bool
