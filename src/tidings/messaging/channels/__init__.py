"""Providers that carry a composed message to a person, one module per provider."""

from __future__ import annotations

from tidings.messaging.channels.capture import CaptureChannel
from tidings.messaging.channels.routing import EmailRouter
from tidings.messaging.channels.smtp import SmtpChannel
from tidings.messaging.channels.types import Channel, ChannelKind, EmailChannel, ProviderReceipt

__all__ = [
    "CaptureChannel",
    "Channel",
    "ChannelKind",
    "EmailChannel",
    "EmailRouter",
    "ProviderReceipt",
    "SmtpChannel",
]
