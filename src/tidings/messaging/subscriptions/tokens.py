"""Subscription-center links: a signed token that opens one person's preferences page for 24 hours.

Customer.io's App API hands such links out (`GET /v1/subscription_center/{id}/token`) as
`<tracking domain>/u/i/<token>/`, and its messages' "manage preferences" links lead to the same
page. The token is signed by the workspace's `LinkTracker`, like every tracked link, so nothing is
stored per link; the expiry travels inside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tidings.clock import to_unix
from tidings.messaging.errors import InvalidTrackingToken, LinkExpired
from tidings.messaging.tracking import LinkTracker, PreferencesAccess
from tidings.workspaces import Workspace

__all__ = ["PREFERENCES_LINK_LIFETIME", "open_preferences_link", "preferences_link"]

PREFERENCES_LINK_LIFETIME = timedelta(hours=24)


def preferences_link(
    workspace: Workspace, *, cio_id: str, base_url: str, now: datetime, delivery_id: str | None = None
) -> tuple[str, str]:
    """A token for the person's preferences page, valid for 24 hours from `now`, and its URL."""
    access = PreferencesAccess(
        workspace_id=workspace.id,
        cio_id=cio_id,
        expires_at=to_unix(now + PREFERENCES_LINK_LIFETIME),
        delivery_id=delivery_id,
    )
    tracker = LinkTracker(base_url, workspace.link_key.encode())
    token = tracker.preferences_token(access)
    return token, f"{tracker.base_url}/u/i/{token}/"


def open_preferences_link(
    workspace: Workspace, token: str, *, base_url: str, now: datetime
) -> PreferencesAccess:
    """What a token grants. Raises `InvalidTrackingToken` when it is not the workspace's, and
    `LinkExpired` once its 24 hours are over."""
    access = LinkTracker(base_url, workspace.link_key.encode()).verify_preferences_token(token)
    if access.workspace_id != workspace.id:
        raise InvalidTrackingToken()
    if to_unix(now) > access.expires_at:
        raise LinkExpired()
    return access
