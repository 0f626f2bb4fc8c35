"""The in-memory channel used in development and tests."""

from __future__ import annotations

import pytest

from tidings.clock import ManualClock
from tidings.errors import ProviderFailed
from tidings.messaging.channels import CaptureChannel, ChannelKind


async def test_keeps_messages_in_order_with_a_receipt_each(clock: ManualClock) -> None:
    channel: CaptureChannel[str] = CaptureChannel(clock=clock, kind=ChannelKind.SMS)

    first = await channel.send("one")
    clock.advance(seconds=5)
    second = await channel.send("two")

    assert channel.sent == ["one", "two"]
    assert channel.kind is ChannelKind.SMS
    assert (first.message_id, second.message_id) == ("capture-1", "capture-2")
    assert second.accepted_at == clock.now() != first.accepted_at


async def test_queued_failures_are_raised_before_accepting_again(clock: ManualClock) -> None:
    channel: CaptureChannel[str] = CaptureChannel(clock=clock)
    channel.fail_next(ProviderFailed("busy", retryable=True), ProviderFailed("gone", retryable=False))

    with pytest.raises(ProviderFailed, match="busy"):
        await channel.send("a")
    with pytest.raises(ProviderFailed, match="gone"):
        await channel.send("a")
    await channel.send("a")
    await channel.close()

    assert channel.sent == ["a"] and channel.is_closed
