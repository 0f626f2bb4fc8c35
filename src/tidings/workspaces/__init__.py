"""Tenancy: accounts, workspaces, and the credentials that open a workspace."""

from tidings.workspaces.queries import (
    get_workspace,
    list_workspaces,
    mark_has_suppressions,
    set_language_attribute,
    set_sending,
    set_workspace_limits,
    workspace_for_app_api_key,
    workspace_for_track_credentials,
    workspace_for_write_key,
)
from tidings.workspaces.service import create_workspace
from tidings.workspaces.settings import SETTING_NAMES, update_workspace_settings
from tidings.workspaces.types import EmailUpdatePolicy, IdentifierMode, NewWorkspace, SendMode, Workspace

__all__ = [
    "SETTING_NAMES",
    "EmailUpdatePolicy",
    "IdentifierMode",
    "NewWorkspace",
    "SendMode",
    "Workspace",
    "create_workspace",
    "get_workspace",
    "list_workspaces",
    "mark_has_suppressions",
    "set_language_attribute",
    "set_sending",
    "set_workspace_limits",
    "update_workspace_settings",
    "workspace_for_app_api_key",
    "workspace_for_track_credentials",
    "workspace_for_write_key",
]
