"""Messages: Liquid content, composition for each channel, deliveries, tracking and subscriptions.

The package builds what a person receives and hands it to a channel (`messaging.channels`). It
reads people but never the ingest path, the processor or the API above it.
"""

from __future__ import annotations

from tidings.messaging.delivery_reports import (
    DELIVERY_METRICS,
    DeliveryReport,
    list_delivery_reports,
    record_delivery_report,
)
from tidings.messaging.errors import InvalidTrackingToken, RenderFailed, SmtpFailed, SnippetTooLarge, TemplateInvalid
from tidings.messaging.liquid import (
    MAX_SNIPPET_BYTES,
    MAX_WORKSPACE_SNIPPETS_BYTES,
    CampaignMeta,
    LayoutMeta,
    Links,
    LiquidEnvironment,
    LiquidVersion,
    MessageMeta,
    RenderContext,
    RenderedEmail,
    Snippet,
    SubscriptionTopic,
    liquid_environment,
    render_email_body,
    render_template,
    unsubscribe_url,
    validate_layout,
    validate_snippets,
    validate_template,
)
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
from tidings.messaging.plaintext import html_to_text
from tidings.messaging.tracking import ClickTarget, LinkTracker


__all__: list[str] = [
    # Delivery reports
    "DELIVERY_METRICS",
    "DeliveryReport",
    "list_delivery_reports",
    "record_delivery_report",
    # Liquid (messaging/liquid/)
    "MAX_SNIPPET_BYTES",
    "MAX_WORKSPACE_SNIPPETS_BYTES",
    "CampaignMeta",
    "LayoutMeta",
    "Links",
    "LiquidEnvironment",
    "LiquidVersion",
    "MessageMeta",
    "RenderContext",
    "RenderFailed",
    "RenderedEmail",
    "Snippet",
    "SnippetTooLarge",
    "SubscriptionTopic",
    "TemplateInvalid",
    "liquid_environment",
    "render_email_body",
    "render_template",
    "unsubscribe_url",
    "validate_layout",
    "validate_snippets",
    "validate_template",
    # Email composition and tracking links
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
