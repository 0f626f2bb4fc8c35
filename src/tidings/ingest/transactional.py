"""Transactional API requests (`POST /v1/send/email|push|sms`) → a send message, with Customer.io's rules.

The request is checked here, before anything is queued, so a bad one answers 400 naming the
field, as Customer.io does: recipients (15 at most), addresses, reserved and non-ASCII headers,
attachment types and sizes, `send_at` within 90 days, and the fields a send without a template
must carry. Whether the named template exists is the caller's check (it needs the database).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tidings.clock import from_unix
from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest.limits import IngestLimits
from tidings.ingest.objects import person_identifiers
from tidings.log import SendMessage
from tidings.messaging import (
    MAX_RECIPIENTS,
    check_headers,
    decode_attachments,
    new_delivery_id,
    parse_addresses,
)

__all__ = ["MAX_SEND_AHEAD", "REQUEST_BYTES", "email", "push", "sms", "template_reference"]

REQUEST_BYTES = 2048 * 1024
MAX_SEND_AHEAD = timedelta(days=90)
_OPTIONS = ("disable_message_retention", "send_to_unsubscribed", "tracked", "queue_draft", "disable_css_preprocessing")
_EMAIL_TEXT = ("from", "subject", "body", "body_plain", "body_amp", "preheader", "reply_to", "bcc", "cc", "fake_bcc")
_PUSH_TEXT = ("title", "message", "image_url", "link", "sound")
_PUSH_TO = ("all", "last_used")
_LIMITS = IngestLimits()


def template_reference(body: dict[str, Any]) -> int | str | None:
    """The template a request names: a number, or a trigger name (matched case-insensitively)."""
    value = body.get("transactional_message_id")
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInput("transactional_message_id must be a number or a trigger name", field="transactional_message_id")
    return value


def email(body: dict[str, Any], *, template_id: int | None, now: datetime) -> SendMessage:
    """`POST /v1/send/email`."""
    request = _common(body) | _texts(body, _EMAIL_TEXT)
    to = body.get("to")
    if not isinstance(to, str) or not to.strip():
        raise InvalidInput("to is required", field="to")
    request["to"] = to
    recipients = 0
    for field in ("to", "cc", "bcc"):
        if field in request:
            recipients += len(parse_addresses(request[field], field=field))
    if recipients > MAX_RECIPIENTS:
        raise LimitExceeded(f"Limit of {MAX_RECIPIENTS} recipients exceeded", field="to")
    for field in ("from", "reply_to"):
        if field in request:
            parse_addresses(request[field], field=field)
    if template_id is None:
        for field in ("from", "subject", "body"):
            if not request.get(field):
                raise InvalidInput(f"{field} is required when no transactional_message_id is given", field=field)
    headers = _hash(body.get("headers"), "headers")
    if headers:
        if not all(isinstance(value, str) for value in headers.values()):
            raise InvalidInput("header values must be strings", field="headers")
        check_headers(tuple(headers.items()))
        request["headers"] = headers
    attachments = _hash(body.get("attachments"), "attachments")
    if attachments:
        decode_attachments(attachments)
        request["attachments"] = attachments
    return _message(body, "email", request, template_id=template_id, now=now)


def push(body: dict[str, Any], *, template_id: int | None, now: datetime) -> SendMessage:
    """`POST /v1/send/push`: a template is required; `to` is all devices, the last used one, or a token."""
    if template_id is None:
        raise InvalidInput("transactional_message_id is required", field="transactional_message_id")
    request = _common(body) | _texts(body, _PUSH_TEXT)
    to = body.get("to", "all")
    if not isinstance(to, str) or not to.strip():
        raise InvalidInput('to must be "all", "last_used" or a device token', field="to")
    request["to"] = to if to in _PUSH_TO else to.strip()
    custom_data = _hash(body.get("custom_data"), "custom_data")
    if not all(isinstance(value, str) for value in custom_data.values()):
        raise InvalidInput("custom_data values must be strings", field="custom_data")
    if custom_data:
        request["custom_data"] = custom_data
    for field in ("custom_payload", "custom_device"):
        value = _hash(body.get(field), field)
        if value:
            request[field] = value
    return _message(body, "push", request, template_id=template_id, now=now)


def sms(body: dict[str, Any], *, template_id: int | None, now: datetime) -> SendMessage:
    """`POST /v1/send/sms`: SMS needs a template and cannot override its body."""
    if template_id is None:
        raise InvalidInput("transactional_message_id is required", field="transactional_message_id")
    request = _common(body)
    to = body.get("to")
    if to is not None:
        if not isinstance(to, str) or not to.strip():
            raise InvalidInput("to must be a phone number", field="to")
        request["to"] = to.strip()
    return _message(body, "sms", request, template_id=template_id, now=now)


def _common(body: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {}
    message_data = body.get("message_data")
    if message_data is not None:
        request["message_data"] = _hash(message_data, "message_data")
    for option in _OPTIONS:
        value = body.get(option)
        if value is not None:
            if not isinstance(value, bool):
                raise InvalidInput(f"{option} must be true or false", field=option)
            request[option] = value
    language = body.get("language")
    if language not in (None, ""):
        if not isinstance(language, str) or not 2 <= len(language) <= 10:
            raise InvalidInput("language must be a language code such as 'fr' or 'pt-BR'", field="language")
        request["language"] = language
    return request


def _texts(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    texts = {}
    for name in names:
        value = body.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string", field=name)
        texts[name] = value
    return texts


def _message(
    body: dict[str, Any], channel: str, request: dict[str, Any], *, template_id: int | None, now: datetime
) -> SendMessage:
    return SendMessage(
        received_at=now,
        delivery_id=new_delivery_id(now),
        channel=channel,
        person=person_identifiers(body.get("identifiers"), field="identifiers", limits=_LIMITS),
        transactional_message_id=template_id,
        request=request,
        send_at=_send_at(body.get("send_at"), now=now),
        is_draft=request.get("queue_draft") is True,
    )


def _send_at(value: Any, *, now: datetime) -> datetime | None:
    """Unix seconds, at most 90 days ahead; a time in the past sends now."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 100_000_000_000:
        raise InvalidInput("send_at must be a unix timestamp", field="send_at")
    moment = from_unix(value)
    if moment > now + MAX_SEND_AHEAD:
        raise InvalidInput("send_at cannot be more than 90 days in the future", field="send_at")
    return moment if moment > now else None


def _hash(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be an object", field=field)
    return value
