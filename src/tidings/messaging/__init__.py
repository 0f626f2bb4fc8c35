"""Messages: Liquid content, composition for each channel, deliveries, tracking and subscriptions.

The package builds what a person receives and hands it to a channel (`messaging.channels`). It
reads people but never the ingest path, the processor or the API above it.
"""

from __future__ import annotations

from tidings.messaging.channels import Channel, EmailRouter, SmtpChannel
from tidings.messaging.deliveries import advance_delivery, enqueue_delivery, new_delivery_id
from tidings.messaging.delivery_reports import (
    DELIVERY_METRICS,
    DeliveryReport,
    list_delivery_reports,
    record_delivery_report,
)
from tidings.messaging.metric_series import MetricPeriod, count_series, template_metrics
from tidings.messaging.metrics import apply_delivery_metric, record_delivery_activity
from tidings.messaging.queries import (
    find_delivery,
    find_delivery_in_any_workspace,
    list_deliveries,
    list_layouts,
    list_snippets,
    list_transactional_messages,
    update_delivery,
)
from tidings.messaging.layouts import create_layout, delete_layout, find_layout, update_layout
from tidings.messaging.sender import RETRY_DELAYS, Sender
from tidings.messaging.snippets import delete_snippet, read_snippets, save_snippet
from tidings.messaging.test_sends import MAX_TEST_RECIPIENTS, compose_test_emails
from tidings.messaging.templates import (
    TEMPLATE_FIELDS,
    create_transactional_message,
    find_template,
    update_transactional_message,
)
from tidings.messaging.types import (
    Delivery,
    DeliveryChannel,
    DeliverySource,
    DeliveryStatus,
    Layout,
    TransactionalMessage,
    TransactionalSettings,
)
from tidings.messaging.errors import InvalidTrackingToken, LinkExpired, RenderFailed, SmtpFailed, SnippetTooLarge, TemplateInvalid
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
    check_headers,
    compose_email,
    decode_attachments,
    email_bytes,
    parse_addresses,
)
from tidings.messaging.plaintext import html_to_text
from tidings.messaging.subscriptions import (
    PREFERENCES_ATTRIBUTE,
    PREFERENCES_LINK_LIFETIME,
    ChannelType,
    Preferences,
    SubscriptionCenter,
    SubscriptionChannel,
    Topic,
    add_channel,
    compute_preferences,
    computed_attribute,
    create_topic,
    delete_topic,
    delivery_topic,
    find_topic,
    open_preferences_link,
    preference_traits,
    preferences_link,
    read_subscription_center,
    remove_channel,
    set_subscription_center_enabled,
    subscription_stop,
    update_topic,
)
from tidings.messaging.tracking import ClickTarget, LinkTracker, PreferencesAccess, token_delivery_id, token_workspace_id


__all__: list[str] = [
    # Transactional messages and deliveries
    "RETRY_DELAYS",
    "Channel",
    "EmailRouter",
    "SmtpChannel",
    "Sender",
    "TEMPLATE_FIELDS",
    "Delivery",
    "DeliveryChannel",
    "DeliverySource",
    "DeliveryStatus",
    "TransactionalMessage",
    "TransactionalSettings",
    "advance_delivery",
    "apply_delivery_metric",
    "create_transactional_message",
    "enqueue_delivery",
    "find_delivery",
    "find_delivery_in_any_workspace",
    "find_template",
    "list_deliveries",
    "list_transactional_messages",
    "new_delivery_id",
    "record_delivery_activity",
    "update_delivery",
    "update_transactional_message",
    # Layouts and snippets
    "Layout",
    "create_layout",
    "delete_layout",
    "delete_snippet",
    "find_layout",
    "list_layouts",
    "list_snippets",
    "read_snippets",
    "save_snippet",
    "update_layout",
    # Test sends
    "MAX_TEST_RECIPIENTS",
    "compose_test_emails",
    # Metric series (reporting endpoints)
    "MetricPeriod",
    "count_series",
    "template_metrics",
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
    "check_headers",
    "compose_email",
    "decode_attachments",
    "email_bytes",
    "parse_addresses",
    "html_to_text",
    "token_delivery_id",
    # The subscription center (messaging/subscriptions/)
    "PREFERENCES_ATTRIBUTE",
    "PREFERENCES_LINK_LIFETIME",
    "ChannelType",
    "LinkExpired",
    "Preferences",
    "PreferencesAccess",
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
    "token_workspace_id",
    "update_topic",
]
