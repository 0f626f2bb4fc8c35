"""Accounts, workspaces and the credentials that open them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["EmailUpdatePolicy", "IdentifierMode", "NewWorkspace", "SendMode", "Workspace"]


class IdentifierMode(StrEnum):
    """Which identifiers add and update people (Customer.io's workspace "Identifiers" setting)."""

    EMAIL_OR_ID = "email_or_id"
    ID_ONLY = "id_only"


class EmailUpdatePolicy(StrEnum):
    """Which identifier may change an email already set ("Allow updates to email using ID")."""

    CIO_ID_OR_ID = "cio_id_or_id"
    CIO_ID = "cio_id"


class SendMode(StrEnum):
    """Customer.io's workspace send modes: send normally, send everything to one test address, or
    send nothing (deliveries are recorded and stop before the provider)."""

    NORMAL = "normal"
    TEST = "test"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Workspace:
    id: int
    account_id: int
    name: str
    identifier_mode: IdentifierMode
    email_update_policy: EmailUpdatePolicy
    anonymous_merge: bool
    multi_identifier_merge: bool
    # False until the workspace's first suppression; look-ups of suppressed identifiers skip until then.
    has_suppressions: bool
    region: str
    created_at: datetime
    limits: dict[str, Any] = field(default_factory=dict)
    # Signs tracking links; never shown.
    link_key: str = field(default="", repr=False)
    send_mode: SendMode = SendMode.NORMAL
    test_address: str | None = None
    is_open_tracking: bool = True
    # The person attribute whose value picks a message's language variant.
    language_attribute: str = "language"


@dataclass(frozen=True, slots=True)
class NewWorkspace:
    """A workspace just created, with the secrets that are shown only this once."""

    workspace: Workspace
    site_id: str
    track_api_key: str
    app_api_key: str
    cdp_api_key: str
