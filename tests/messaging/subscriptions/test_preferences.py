"""The subscription decision as a pure function: global unsubscribe, topic and channel preferences
with their defaults, the channels each rule applies to, and sending to the unsubscribed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tidings.messaging import (
    ChannelType,
    SubscriptionCenter,
    SubscriptionChannel,
    Topic,
    compute_preferences,
    preference_traits,
    subscription_stop,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
OPT_OUT = Topic(1, "Offers", "", True, NOW, NOW)
OPT_IN = Topic(2, "Product news", "", False, NOW, NOW)
EMAIL = SubscriptionChannel(1, ChannelType.EMAIL, "", True, NOW)
SMS = SubscriptionChannel(2, ChannelType.SMS, "", False, NOW)
IN_APP = SubscriptionChannel(3, ChannelType.IN_APP, "", True, NOW)
CENTER = SubscriptionCenter(is_enabled=True, topics=(OPT_OUT, OPT_IN), channels=(EMAIL, SMS, IN_APP))


def stop(
    attributes: dict[str, Any],
    *,
    topic_id: int | None,
    channel: ChannelType = ChannelType.EMAIL,
    center: SubscriptionCenter = CENTER,
    send_to_unsubscribed: bool = False,
) -> str | None:
    return subscription_stop(
        channel=channel,
        attributes=attributes,
        center=center,
        topic_id=topic_id,
        send_to_unsubscribed=send_to_unsubscribed,
    )


def prefs(
    topics: dict[str, Any] | None = None, channels: dict[str, Any] | None = None, **attributes: Any
) -> dict[str, Any]:
    return {
        "cio_subscription_preferences": {"topics": topics or {}, "channels": channels or {}},
        **attributes,
    }


def test_an_opt_in_topic_never_set_stops_the_message() -> None:
    assert stop({}, topic_id=OPT_IN.id) == "Customer is unsubscribed from the topic topic_2 (Product news)"


def test_an_opt_out_topic_never_set_lets_the_message_through() -> None:
    assert stop({}, topic_id=OPT_OUT.id) is None


@pytest.mark.parametrize(
    ("value", "is_sent"), [(True, True), ("TRUE", True), (False, False), ("false", False)]
)
def test_a_set_topic_preference_decides(value: Any, is_sent: bool) -> None:
    assert (stop(prefs({"topic_2": value}), topic_id=OPT_IN.id) is None) is is_sent
    assert (stop(prefs({"topic_1": value}), topic_id=OPT_OUT.id) is None) is is_sent


def test_a_channel_turned_off_stops_the_message_whatever_the_topic() -> None:
    assert (
        stop(prefs({"topic_1": True}, {"email": False}), topic_id=OPT_OUT.id)
        == "Customer is unsubscribed from the email channel"
    )
    assert (
        stop(prefs(channels={"email": False}), topic_id=None)
        == "Customer is unsubscribed from the email channel"
    )


def test_an_opt_in_channel_never_set_stops_and_a_channel_not_added_does_not() -> None:
    assert (
        stop({}, topic_id=OPT_OUT.id, channel=ChannelType.SMS)
        == "Customer is unsubscribed from the sms channel"
    )
    assert stop({}, topic_id=OPT_OUT.id, channel=ChannelType.PUSH) is None


def test_the_global_unsubscribe_comes_first() -> None:
    assert (
        stop(prefs({"topic_1": True}, unsubscribed="True"), topic_id=OPT_OUT.id) == "Customer is unsubscribed"
    )


def test_sending_to_the_unsubscribed_skips_every_check() -> None:
    attributes = prefs({"topic_2": False}, {"email": False}, unsubscribed=True)
    assert stop(attributes, topic_id=OPT_IN.id, send_to_unsubscribed=True) is None


def test_until_the_center_is_enabled_only_the_global_unsubscribe_counts() -> None:
    disabled = SubscriptionCenter(is_enabled=False, topics=CENTER.topics, channels=CENTER.channels)
    assert stop({}, topic_id=OPT_IN.id, center=disabled) is None
    assert stop({"unsubscribed": 1}, topic_id=OPT_IN.id, center=disabled) == "Customer is unsubscribed"


def test_in_app_ignores_the_global_unsubscribe_and_topics_but_not_its_channel() -> None:
    assert (
        stop(prefs({"topic_2": False}, unsubscribed=True), topic_id=OPT_IN.id, channel=ChannelType.IN_APP)
        is None
    )
    assert stop(prefs(channels={"in_app": False}), topic_id=None, channel=ChannelType.IN_APP) is not None


def test_a_topic_the_center_no_longer_has_does_not_gate() -> None:
    assert stop({}, topic_id=42) is None


def test_computed_preferences_fill_in_defaults_and_ignore_what_is_not_a_preference() -> None:
    computed = compute_preferences(
        CENTER,
        {
            "cio_subscription_preferences": {
                "topics": {"topic_1": False, "topic_2": "maybe"},
                "channels": "no",
            }
        },
    )

    assert computed.topics == {1: False, 2: False}
    assert computed.channels == {ChannelType.EMAIL: True, ChannelType.SMS: False, ChannelType.IN_APP: True}
    assert computed.is_unsubscribed is False
    assert compute_preferences(CENTER, {"cio_subscription_preferences": "garbage"}).topics == {
        1: True,
        2: False,
    }


def test_preference_traits_are_dot_keys_that_merge() -> None:
    assert preference_traits(topics={3: False}, channels={ChannelType.PUSH: True}) == {
        "cio_subscription_preferences.topics.topic_3": False,
        "cio_subscription_preferences.channels.push": True,
    }
