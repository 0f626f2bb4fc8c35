"""Customer.io-compatible Liquid: namespaces, meta keys, tags, filters, snippets and layouts."""

from __future__ import annotations

from tidings.messaging.liquid.environment import (
    LiquidEnvironment,
    RenderedEmail,
    liquid_environment,
    render_email_body,
    render_template,
    validate_layout,
    validate_template,
)
from tidings.messaging.liquid.links import unsubscribe_url
from tidings.messaging.liquid.snippets import MAX_SNIPPET_BYTES, MAX_WORKSPACE_SNIPPETS_BYTES, validate_snippets
from tidings.messaging.liquid.types import (
    CampaignMeta,
    LayoutMeta,
    Links,
    LiquidVersion,
    MessageMeta,
    RenderContext,
    Snippet,
    SubscriptionTopic,
)

__all__ = [
    "MAX_SNIPPET_BYTES",
    "MAX_WORKSPACE_SNIPPETS_BYTES",
    "CampaignMeta",
    "LayoutMeta",
    "Links",
    "LiquidEnvironment",
    "LiquidVersion",
    "MessageMeta",
    "RenderContext",
    "RenderedEmail",
    "Snippet",
    "SubscriptionTopic",
    "liquid_environment",
    "render_email_body",
    "render_template",
    "unsubscribe_url",
    "validate_layout",
    "validate_snippets",
    "validate_template",
]
