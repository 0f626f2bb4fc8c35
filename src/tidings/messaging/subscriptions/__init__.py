"""The subscription center: topics and channels people opt in or out of, their computed
preferences, the send-time decision, and the signed links to a person's preferences page."""

from tidings.messaging.subscriptions.center import (
    add_channel,
    create_topic,
    delete_topic,
    delivery_topic,
    find_topic,
    read_subscription_center,
    remove_channel,
    set_subscription_center_enabled,
    update_topic,
)
from tidings.messaging.subscriptions.preferences import (
    PREFERENCES_ATTRIBUTE,
    compute_preferences,
    computed_attribute,
    preference_traits,
    subscription_stop,
)
from tidings.messaging.subscriptions.tokens import (
    PREFERENCES_LINK_LIFETIME,
    open_preferences_link,
    preferences_link,
)
from tidings.messaging.subscriptions.types import (
    ChannelType,
    Preferences,
    SubscriptionCenter,
    SubscriptionChannel,
    Topic,
)

__all__ = [
    "PREFERENCES_ATTRIBUTE",
    "PREFERENCES_LINK_LIFETIME",
    "ChannelType",
    "Preferences",
    "SubscriptionCenter",
    "SubscriptionChannel",
    "Topic",
    "add_channel",
    "compute_preferences",
    "computed_attribute",
    "create_topic",
    "delete_topic",
    "delivery_topic",
    "find_topic",
    "open_preferences_link",
    "preference_traits",
    "preferences_link",
    "read_subscription_center",
    "remove_channel",
    "set_subscription_center_enabled",
    "subscription_stop",
    "update_topic",
]
