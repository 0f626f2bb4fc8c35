"""Routing emails to a server by message type, with a fallback for the rest."""

from __future__ import annotations

from datetime import UTC, datetime

from tidings.clock import ManualClock
from tidings.messaging import MessageType, OutboundEmail, compose_email
from tidings.messaging.channels import CaptureChannel, Channel, ChannelKind, EmailRouter


def email(message_type: MessageType | None) -> OutboundEmail:
    return OutboundEmail(
        delivery_id=f"d-{message_type}",
        from_address="shop@example.com",
        to="ann@example.com",
        subject="Hi",
        html="<p>Hi</p>",
        message_type=message_type,
    )


async def test_each_type_goes_to_its_server_and_the_rest_to_the_default(clock: ManualClock) -> None:
    transactional: CaptureChannel[OutboundEmail] = CaptureChannel(clock=clock)
    marketing: CaptureChannel[OutboundEmail] = CaptureChannel(clock=clock)
    fallback: CaptureChannel[OutboundEmail] = CaptureChannel(clock=clock)
    router = EmailRouter(
        default=fallback,
        routes={MessageType.TRANSACTIONAL: transactional, MessageType.NEWSLETTER: marketing},
    )

    for message_type in (MessageType.TRANSACTIONAL, MessageType.NEWSLETTER, MessageType.EVENT_TRIGGERED, None):
        await router.send(email(message_type))

    assert [m.message_type for m in transactional.sent] == [MessageType.TRANSACTIONAL]
    assert [m.message_type for m in marketing.sent] == [MessageType.NEWSLETTER]
    assert [m.message_type for m in fallback.sent] == [MessageType.EVENT_TRIGGERED, None]
    assert router.kind is ChannelKind.EMAIL


async def test_close_closes_each_channel_once(clock: ManualClock) -> None:
    closes: list[str] = []

    class Counting(CaptureChannel[OutboundEmail]):
        async def close(self) -> None:
            closes.append("closed")

    shared = Counting(clock=clock)
    router = EmailRouter(default=shared, routes={MessageType.NEWSLETTER: shared, MessageType.TRANSACTIONAL: Counting(clock=clock)})

    await router.close()

    assert closes == ["closed", "closed"]


async def test_a_router_is_a_channel(clock: ManualClock) -> None:
    inner: CaptureChannel[OutboundEmail] = CaptureChannel(clock=clock)
    nested: Channel[OutboundEmail] = EmailRouter(default=EmailRouter(default=inner))

    receipt = await nested.send(email(None))

    assert receipt.accepted_at == clock.now() and len(inner.sent) == 1


async def test_composed_emails_are_routed_by_their_type(clock: ManualClock) -> None:
    transactional: CaptureChannel[OutboundEmail] = CaptureChannel(clock=clock)
    fallback: CaptureChannel[OutboundEmail] = CaptureChannel(clock=clock)
    router = EmailRouter(default=fallback, routes={MessageType.TRANSACTIONAL: transactional})

    for message_type in (MessageType.TRANSACTIONAL, MessageType.NEWSLETTER):
        await router.send_composed(compose_email(email(message_type), now=datetime(2026, 1, 1, tzinfo=UTC)))

    assert [m.message_type for m in transactional.composed] == [MessageType.TRANSACTIONAL]
    assert [m.message_type for m in fallback.composed] == [MessageType.NEWSLETTER]
