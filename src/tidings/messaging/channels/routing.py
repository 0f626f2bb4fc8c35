"""Several email servers, each for some message types, behind one channel.

Customer.io lets a workspace route Transactional Messages, Newsletters, Segment Triggered, Event
Triggered and Triggered Broadcasts to separate SMTP servers, with one server kept for "All Emails"
as the fallback. `EmailRouter` is that table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tidings.messaging.channels.types import ChannelKind, EmailChannel, ProviderReceipt
from tidings.messaging.email import ComposedEmail, MessageType, OutboundEmail

__all__ = ["EmailRouter"]


@dataclass(frozen=True, slots=True)
class EmailRouter:
    """Sends each email through the channel for its `message_type`, else through `default`."""

    default: EmailChannel
    routes: Mapping[MessageType, EmailChannel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", MappingProxyType(dict(self.routes)))

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.EMAIL

    def channel_for(self, message_type: MessageType | None) -> EmailChannel:
        """The channel an email of this type goes through."""
        if message_type is None:
            return self.default
        return self.routes.get(message_type, self.default)

    async def send(self, message: OutboundEmail) -> ProviderReceipt:
        return await self.channel_for(message.message_type).send(message)

    async def send_composed(self, composed: ComposedEmail) -> ProviderReceipt:
        return await self.channel_for(composed.message_type).send_composed(composed)

    async def close(self) -> None:
        """Close every distinct channel once."""
        channels = {id(channel): channel for channel in (self.default, *self.routes.values())}
        for channel in channels.values():
            await channel.close()
