"""Messages: Liquid content, composition for each channel, deliveries, tracking and subscriptions.

The package builds what a person receives and hands it to a channel (`messaging.channels`). It
reads people but never the ingest path, the processor or the API above it.
"""

from __future__ import annotations

from tidings.messaging.email import (
    DELIVERY_HEADER,
    MAX_ATTACHMENT_BYTES,
    MAX_RECIPIENTS,
    Attachment,
    ComposedEmail,
    MessageType,
    OutboundEmail,
    compose_email,
    decode_attachments,
    email_bytes,
)
from tidings.messaging.errors import InvalidTrackingToken, SmtpFailed
from tidings.messaging.plaintext import html_to_text
from tidings.messaging.tracking import ClickTarget, LinkTracker

__all__ = [
    "DELIVERY_HEADER",
    "MAX_ATTACHMENT_BYTES",
    "MAX_RECIPIENTS",
    "Attachment",
    "ClickTarget",
    "ComposedEmail",
    "InvalidTrackingToken",
    "LinkTracker",
    "MessageType",
    "OutboundEmail",
    "SmtpFailed",
    "compose_email",
    "decode_attachments",
    "email_bytes",
    "html_to_text",
]
