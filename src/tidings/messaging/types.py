"""Messages as values: transactional message templates and deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Delivery",
    "DeliveryChannel",
    "DeliverySource",
    "DeliveryStatus",
    "Layout",
    "TransactionalMessage",
    "TransactionalSettings",
]


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    PUSH = "push"
    SMS = "sms"


class DeliverySource(StrEnum):
    TRANSACTIONAL = "transactional"


class DeliveryStatus(StrEnum):
    """Customer.io's delivery statuses; a delivery shows the latest milestone it reached."""

    DRAFTED = "drafted"
    QUEUED = "queued"
    ATTEMPTED = "attempted"
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    CONVERTED = "converted"
    BOUNCED = "bounced"
    SPAMMED = "spammed"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    UNDELIVERABLE = "undeliverable"
    UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True, slots=True)
class TransactionalSettings:
    """A template's defaults, which a send request may override."""

    send_to_unsubscribed: bool = True
    tracked: bool = True
    queue_draft: bool = False
    disable_message_retention: bool = False
    disable_css_preprocessing: bool = False
    # The subscription topic the message belongs to (Customer.io's "Subscription preference"):
    # once the subscription center is enabled, only people subscribed to it (and to the channel)
    # receive the message. A topic replaces `send_to_unsubscribed` as the template's default.
    topic_id: int | None = None
    # The layout the email body is wrapped in; None sends the body as it is.
    layout_id: int | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """HTML around an email's body, which goes where the layout says `{{content}}`."""

    id: int
    name: str
    html: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TransactionalMessage:
    """A transactional message template: content per channel, found by number or trigger name."""

    id: int
    name: str
    trigger_name: str | None
    description: str
    settings: TransactionalSettings
    # Per channel ("email", "push", "sms"): the template's fields (subject, body, from, ...).
    content: dict[str, dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    # Per language code (lowercased): a variant's fields per channel, over the default content.
    translations: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def fields_for(self, channel: str, language: str | None) -> dict[str, Any]:
        """A channel's fields in one language; what a variant leaves out comes from the default."""
        variant = self.translations.get(language, {}).get(channel, {}) if language else {}
        return {**self.content.get(channel, {}), **variant}


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one person on one channel, and every milestone it reached."""

    id: str
    cio_id: str
    channel: DeliveryChannel
    source: DeliverySource
    transactional_message_id: int | None
    status: DeliveryStatus
    # The send request's fields: overrides, recipients, `message_data`, options.
    request: dict[str, Any]
    # Unix time of each milestone reached (queued, sent, delivered, opened, ...).
    milestones: dict[str, int]
    created_at: datetime
    updated_at: datetime
    # What was sent, unless message retention is disabled.
    rendered: dict[str, Any] | None = None
    failure_message: str | None = None
    attempts: int = 0
    due_at: datetime | None = None
