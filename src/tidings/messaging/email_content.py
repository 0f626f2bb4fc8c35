"""What an email delivery becomes: the send-time gate, then the rendered, tracked email.

The gate runs in Customer.io's order: the workspace's send mode, the person's `unsubscribed`
and, once the subscription center is enabled, their preferences for the message's topic and for
email (unless the message may go to unsubscribed people), the email suppression list, then
rendering. A delivery stopped by the gate gets the status that says why and never reaches a
provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from tidings.messaging.email import MessageType, OutboundEmail, decode_attachments
from tidings.messaging.languages import choose_language
from tidings.messaging.liquid import LayoutMeta, Links, RenderContext, render_email_body, render_template, unsubscribe_url
from tidings.messaging.subscriptions import ChannelType, SubscriptionCenter, subscription_stop
from tidings.messaging.tracking import LinkTracker
from tidings.messaging.types import Delivery, DeliveryStatus, Layout, TransactionalMessage
from tidings.people import Person
from tidings.workspaces import SendMode, Workspace

__all__ = ["Stopped", "prepare_email", "render_email"]

_NO_SNIPPETS: Mapping[str, str] = {}


@dataclass(frozen=True, slots=True)
class Stopped:
    """The gate stopped a delivery: the status to record, and why."""

    status: DeliveryStatus
    reason: str


def prepare_email(
    delivery: Delivery,
    *,
    workspace: Workspace,
    person: Person | None,
    template: TransactionalMessage | None,
    subscription_center: SubscriptionCenter,
    is_suppressed: bool,
    snippets: Mapping[str, str] = _NO_SNIPPETS,
    layout: Layout | None = None,
    base_url: str,
    now: datetime,
) -> OutboundEmail | Stopped:
    """The email to hand to the provider, or why it must not be sent.

    `is_suppressed` says whether the recipient's address is on the workspace's suppression list.
    Raises `RenderFailed` when the Liquid does not evaluate (the delivery then fails with its text).
    """
    request = delivery.request
    settings = template.settings if template else None
    if workspace.send_mode is SendMode.NEVER:
        return Stopped(DeliveryStatus.UNDELIVERABLE, "the workspace's send mode is set to never send")
    if person is None:
        return Stopped(DeliveryStatus.UNDELIVERABLE, "the person was deleted")
    topic_id = settings.topic_id if settings else None
    # A template's topic is its subscription preference, in place of its send_to_unsubscribed;
    # the send request's own send_to_unsubscribed overrides either, as the API documents.
    default = (settings.send_to_unsubscribed and topic_id is None) if settings else True
    stop = subscription_stop(
        channel=ChannelType.EMAIL,
        attributes=person.attributes,
        center=subscription_center,
        topic_id=topic_id,
        send_to_unsubscribed=request.get("send_to_unsubscribed", default),
    )
    if stop is not None:
        return Stopped(DeliveryStatus.UNDELIVERABLE, stop)
    if is_suppressed:
        return Stopped(DeliveryStatus.SUPPRESSED, "the address is on the email suppression list")
    return render_email(
        delivery.id,
        delivery.request,
        workspace=workspace,
        person=person,
        template=template,
        snippets=snippets,
        layout=layout,
        base_url=base_url,
        now=now,
    )


def render_email(
    delivery_id: str,
    request: dict[str, Any],
    *,
    workspace: Workspace,
    person: Person | None,
    template: TransactionalMessage | None,
    snippets: Mapping[str, str] = _NO_SNIPPETS,
    layout: Layout | None = None,
    base_url: str,
    now: datetime,
) -> OutboundEmail:
    """The rendered, tracked email a send request makes of a template, past the gate: the body
    wrapped in the template's `layout`, with the workspace's `snippets`.

    Raises `RenderFailed` when the Liquid does not evaluate.
    """
    settings = template.settings if template else None
    language = _language(request, workspace=workspace, person=person, template=template)
    fields = {**(template.fields_for("email", language) if template else {}), **_overrides(request)}
    tracked = request.get("tracked", settings.tracked if settings else True)
    links = Links(base_url=base_url, signing_key=workspace.link_key.encode(), is_click_tracking=tracked)
    context = RenderContext(
        now=now,
        customer=_customer(person) if person else {},
        trigger=request.get("message_data") or {},
        delivery_id=delivery_id,
        links=links,
        snippets=snippets,
        layout=LayoutMeta(id=layout.id, name=layout.name) if layout else None,
    )
    rendered = render_email_body(layout.html if layout else None, fields.get("body", ""), context)
    to = request.get("to") or render_template(fields.get("to") or "{{customer.email}}", context)
    email = OutboundEmail(
        delivery_id=delivery_id,
        from_address=render_template(fields.get("from", ""), context),
        to=workspace.test_address if workspace.send_mode is SendMode.TEST and workspace.test_address else to,
        subject=render_template(fields.get("subject", ""), context),
        html=rendered.html,
        plaintext=render_template(fields["body_plain"], context) if fields.get("body_plain") else None,
        reply_to=_render_optional(fields.get("reply_to"), context),
        bcc=_render_optional(fields.get("bcc"), context),
        preheader=_render_optional(fields.get("preheader"), context),
        headers=tuple({**fields.get("headers", {}), **request.get("headers", {})}.items()),
        attachments=decode_attachments(request.get("attachments") or {}),
        unsubscribe_url=unsubscribe_url(links, delivery_id) if base_url.startswith("https://") else None,
        message_type=MessageType.TRANSACTIONAL,
        tracked=tracked,
        inline_css=not request.get(
            "disable_css_preprocessing", settings.disable_css_preprocessing if settings else False
        ),
    )
    if not tracked:
        return email
    return _tracker(links.base_url, links.signing_key, workspace.is_open_tracking).apply(email)


@lru_cache(maxsize=64)
def _tracker(base_url: str, signing_key: bytes, track_opens: bool) -> LinkTracker:
    # Built once per workspace key: a tracker hashes its key's HMAC pads when it is made.
    return LinkTracker(base_url, signing_key, track_opens=track_opens)


def _overrides(request: dict[str, Any]) -> dict[str, Any]:
    """The template fields a send request replaces (its `headers` are added, not replaced)."""
    names = ("from", "subject", "body", "body_plain", "preheader", "reply_to", "bcc")
    return {name: request[name] for name in names if request.get(name)}


def _language(
    request: dict[str, Any], *, workspace: Workspace, person: Person | None, template: TransactionalMessage | None
) -> str | None:
    if template is None or not template.translations:
        return None
    spoken = person.attributes.get(workspace.language_attribute) if person else None
    return choose_language(template.translations, requested=request.get("language"), person_language=spoken)


def _customer(person: Person) -> dict[str, Any]:
    identifiers = {"id": person.id, "email": person.email, "cio_id": person.cio_id}
    return {**person.attributes, **{k: v for k, v in identifiers.items() if v is not None}}


def _render_optional(source: str | None, context: RenderContext) -> str | None:
    return render_template(source, context) or None if source else None
