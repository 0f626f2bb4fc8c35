"""Transactional message templates: content per channel, checked when saved.

A template is what `POST /v1/send/email` (and push, SMS) names by number or by trigger name. Its
Liquid is validated on save, so a broken template is refused with the composer's words instead of
failing every delivery later.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.messaging import queries
from tidings.messaging.errors import TemplateInvalid
from tidings.messaging.languages import check_language_code
from tidings.messaging.liquid import validate_template
from tidings.messaging.subscriptions import read_subscription_center
from tidings.messaging.types import TransactionalMessage, TransactionalSettings

__all__ = [
    "TEMPLATE_FIELDS",
    "create_transactional_message",
    "find_template",
    "update_transactional_message",
]

# The fields a template holds per channel; every string may use Liquid.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "email": frozenset({"from", "to", "reply_to", "bcc", "subject", "preheader", "body", "body_plain", "headers"}),
    "push": frozenset({"title", "message", "image_url", "link", "sound", "custom_data"}),
    "sms": frozenset({"body"}),
}
_SETTINGS = frozenset(f.name for f in fields(TransactionalSettings))


def create_transactional_message(
    conn: Connection,
    *,
    workspace_id: int,
    name: str,
    trigger_name: str | None,
    description: str,
    settings: dict[str, Any],
    content: dict[str, Any],
    translations: dict[str, Any] | None = None,
    now: datetime,
) -> TransactionalMessage:
    """Raise InvalidInput naming the bad field, or Conflict when the trigger name is taken."""
    template = TransactionalMessage(
        id=0,
        name=_name(name),
        trigger_name=_trigger_name(trigger_name),
        description=description,
        settings=_settings(TransactionalSettings(), settings),
        content=_content(content),
        created_at=now,
        updated_at=now,
        translations=_translations({}, translations or {}),
    )
    _refuse_taken_trigger(conn, workspace_id=workspace_id, template=template)
    _refuse_unknown_topic(conn, workspace_id=workspace_id, settings=template.settings)
    _refuse_unknown_layout(conn, workspace_id=workspace_id, settings=template.settings)
    message_id = queries.insert_transactional_message(conn, workspace_id=workspace_id, template=template)
    return replace(template, id=message_id)


def update_transactional_message(
    conn: Connection, *, workspace_id: int, message_id: int, changes: dict[str, Any], now: datetime
) -> TransactionalMessage:
    """Change the fields given; content is replaced channel by channel, and translations language by
    language (a language set to null is removed)."""
    template = queries.find_transactional_message(conn, workspace_id=workspace_id, message_id=message_id)
    if template is None:
        raise NotFound("transactional message not found")
    updated = replace(
        template,
        name=_name(changes["name"]) if "name" in changes else template.name,
        trigger_name=_trigger_name(changes["trigger_name"]) if "trigger_name" in changes else template.trigger_name,
        description=str(changes.get("description", template.description)),
        settings=_settings(template.settings, changes.get("settings") or {}),
        content={**template.content, **_content(changes.get("content") or {})},
        translations=_translations(template.translations, changes.get("translations") or {}),
        updated_at=now,
    )
    _refuse_taken_trigger(conn, workspace_id=workspace_id, template=updated)
    _refuse_unknown_topic(conn, workspace_id=workspace_id, settings=updated.settings)
    _refuse_unknown_layout(conn, workspace_id=workspace_id, settings=updated.settings)
    queries.update_transactional_message(conn, workspace_id=workspace_id, template=updated)
    return updated


def find_template(conn: Connection, *, workspace_id: int, reference: int | str) -> TransactionalMessage | None:
    """A template by number, or by trigger name (case-insensitively), as a send request names it."""
    if isinstance(reference, int) or (isinstance(reference, str) and reference.isdigit()):
        found = queries.find_transactional_message(conn, workspace_id=workspace_id, message_id=int(reference))
        if found is not None or isinstance(reference, int):
            return found
    return queries.find_transactional_message_by_trigger(conn, workspace_id=workspace_id, trigger_name=str(reference))


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name is required", field="name")
    return value.strip()[:200]


def _trigger_name(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidInput("trigger_name must be a string of at most 200 characters", field="trigger_name")
    if value.strip().isdigit():
        raise InvalidInput("trigger_name cannot be a number: numbers name templates by id", field="trigger_name")
    return value.strip()


def _settings(current: TransactionalSettings, changes: Any) -> TransactionalSettings:
    if not isinstance(changes, dict):
        raise InvalidInput("settings must be an object", field="settings")
    for name, value in changes.items():
        if name not in _SETTINGS:
            raise InvalidInput(f"unknown setting {name!r}", field=f"settings.{name}")
        if name in ("topic_id", "layout_id"):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                kind = "subscription topic" if name == "topic_id" else "layout"
                raise InvalidInput(f"settings.{name} must be a {kind} id", field=f"settings.{name}")
        elif not isinstance(value, bool):
            raise InvalidInput(f"settings.{name} must be true or false", field=f"settings.{name}")
    return replace(current, **changes)


def _refuse_unknown_layout(conn: Connection, *, workspace_id: int, settings: TransactionalSettings) -> None:
    if settings.layout_id is None:
        return
    if not queries.find_layouts(conn, workspace_id=workspace_id, layout_ids=[settings.layout_id]):
        raise InvalidInput(f"settings.layout_id: there is no layout {settings.layout_id}", field="settings.layout_id")


def _refuse_unknown_topic(conn: Connection, *, workspace_id: int, settings: TransactionalSettings) -> None:
    if settings.topic_id is None:
        return
    if read_subscription_center(conn, workspace_id=workspace_id).topic(settings.topic_id) is None:
        raise InvalidInput(f"settings.topic_id: there is no subscription topic {settings.topic_id}", field="settings.topic_id")


def _translations(current: dict[str, Any], changes: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Language variants: each language given replaces that language's channels; null removes it."""
    if not isinstance(changes, dict):
        raise InvalidInput("translations must be an object of language codes", field="translations")
    merged = dict(current)
    for code, content in changes.items():
        language = check_language_code(code, field=f"translations.{code}")
        if content is None:
            merged.pop(language, None)
            continue
        checked = _content(content, path=f"translations.{code}")
        merged[language] = {**merged.get(language, {}), **checked}
    return merged


def _content(content: Any, *, path: str = "content") -> dict[str, dict[str, Any]]:
    if not isinstance(content, dict):
        raise InvalidInput(f"{path} must be an object of channels", field=path)
    checked: dict[str, dict[str, Any]] = {}
    for channel, values in content.items():
        allowed = TEMPLATE_FIELDS.get(channel)
        if allowed is None:
            raise InvalidInput(f"{path} channels are: email, push, sms", field=f"{path}.{channel}")
        if not isinstance(values, dict):
            raise InvalidInput(f"{path}.{channel} must be an object", field=f"{path}.{channel}")
        for name, value in values.items():
            field = f"{path}.{channel}.{name}"
            if name not in allowed:
                raise InvalidInput(f"unknown field {name!r} for {channel}", field=field)
            for text in value.values() if isinstance(value, dict) else [value]:
                if not isinstance(text, str):
                    raise InvalidInput(f"{field} must be text", field=field)
                try:
                    validate_template(text)
                except TemplateInvalid as exc:
                    raise InvalidInput(f"{field}: {exc}", field=field) from None
        checked[channel] = dict(values)
    return checked


def _refuse_taken_trigger(conn: Connection, *, workspace_id: int, template: TransactionalMessage) -> None:
    if template.trigger_name is None:
        return
    holder = queries.find_transactional_message_by_trigger(
        conn, workspace_id=workspace_id, trigger_name=template.trigger_name
    )
    if holder is not None and holder.id != template.id:
        raise Conflict(f"trigger_name {template.trigger_name!r} is used by transactional message {holder.id}")
