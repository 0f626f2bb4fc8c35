"""What every channel shares: its kind, the receipt a provider gives, and the `Channel` protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from tidings.messaging.email import ComposedEmail, OutboundEmail

__all__ = ["Channel", "ChannelKind", "EmailChannel", "ProviderReceipt"]

MessageT_contra = TypeVar("MessageT_contra", contravariant=True)


class ChannelKind(StrEnum):
    EMAIL = "email"
    PUSH = "push"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    IN_APP = "in_app"
    INBOX = "inbox"
    WEBHOOK = "webhook"
    SLACK = "slack"


@dataclass(frozen=True, slots=True)
class ProviderReceipt:
    """A provider took a message: the delivery is Sent (Customer.io: "accepted by provider")."""

    # The id the message travels under (for email, our Message-ID header).
    message_id: str
    accepted_at: datetime
    # The provider's own words, e.g. an SMTP server's "2.0.0 Ok: queued as 4Yx..." with its queue id.
    response: str = ""
    # Recipients the provider refused while taking the message for the others.
    refused_recipients: tuple[str, ...] = ()


class Channel(Protocol[MessageT_contra]):
    """Carries composed messages of one kind to a provider.

    `send` returns a receipt once the provider has taken the message, or raises `ProviderFailed`
    (`retryable` says whether a later attempt can succeed) or `InvalidInput` for a message that can
    never be sent. It may be called concurrently. `close` releases connections; a channel is not
    used after it.
    """

    @property
    def kind(self) -> ChannelKind: ...

    async def send(self, message: MessageT_contra) -> ProviderReceipt: ...

    async def close(self) -> None: ...


class EmailChannel(Channel[OutboundEmail], Protocol):
    """An email channel that also takes messages composed elsewhere (the sender composes in its
    render processes and hands over the finished bytes)."""

    async def send_composed(self, composed: ComposedEmail) -> ProviderReceipt: ...
