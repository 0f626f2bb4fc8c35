"""A workspace's message settings, which Customer.io keeps on its settings screens: the send mode
and its test address, open tracking, and the person attribute that holds each person's language.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from tidings.errors import InvalidInput, NotFound
from tidings.workspaces.queries import get_workspace, set_language_attribute, set_sending
from tidings.workspaces.types import SendMode, Workspace

__all__ = ["SETTING_NAMES", "update_workspace_settings"]

SETTING_NAMES = frozenset({"send_mode", "test_address", "open_tracking", "language_attribute"})
_ATTRIBUTE_NAME_BYTES = 150


def update_workspace_settings(conn: Connection, *, workspace_id: int, changes: dict[str, Any]) -> Workspace:
    """Change the settings given and return the workspace. Raises InvalidInput naming the setting;
    test mode needs a test address, since everything would otherwise have nowhere to go."""
    workspace = get_workspace(conn, workspace_id=workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    for name in changes:
        if name not in SETTING_NAMES:
            raise InvalidInput(f"unknown setting {name!r}; settings are: {', '.join(sorted(SETTING_NAMES))}", field=name)
    send_mode = _send_mode(changes.get("send_mode", workspace.send_mode))
    test_address = _test_address(changes.get("test_address", workspace.test_address))
    is_open_tracking = changes.get("open_tracking", workspace.is_open_tracking)
    if not isinstance(is_open_tracking, bool):
        raise InvalidInput("open_tracking must be true or false", field="open_tracking")
    if send_mode is SendMode.TEST and test_address is None:
        raise InvalidInput("send_mode test needs a test_address", field="test_address")
    language_attribute = _language_attribute(changes.get("language_attribute", workspace.language_attribute))
    set_sending(
        conn, workspace_id=workspace_id, send_mode=send_mode, test_address=test_address, is_open_tracking=is_open_tracking
    )
    set_language_attribute(conn, workspace_id=workspace_id, attribute=language_attribute)
    updated = get_workspace(conn, workspace_id=workspace_id)
    assert updated is not None
    return updated


def _send_mode(value: Any) -> SendMode:
    try:
        return SendMode(value)
    except ValueError:
        raise InvalidInput("send_mode must be one of: normal, test, never", field="send_mode") from None


def _test_address(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or "@" not in value or len(value) > 320:
        raise InvalidInput("test_address must be an email address", field="test_address")
    return value.strip()


def _language_attribute(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.encode()) > _ATTRIBUTE_NAME_BYTES:
        raise InvalidInput(
            f"language_attribute must be an attribute name of at most {_ATTRIBUTE_NAME_BYTES} bytes",
            field="language_attribute",
        )
    return value.strip()
