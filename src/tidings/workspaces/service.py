"""Creating workspaces with their first set of credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from tidings.workspaces import credentials, queries
from tidings.workspaces.types import IdentifierMode, NewWorkspace

__all__ = ["create_workspace"]


def create_workspace(
    conn: Connection,
    *,
    name: str,
    now: datetime,
    identifier_mode: IdentifierMode = IdentifierMode.EMAIL_OR_ID,
) -> NewWorkspace:
    """A workspace with a Track API key pair, an App API key and a Pipelines source, as Customer.io
    creates a workspace with its "primary" Track credentials."""
    account_id = queries.default_account_id(conn, now=now)
    workspace_id = queries.insert_workspace(
        conn, account_id=account_id, name=name, now=now, identifier_mode=identifier_mode
    )
    site_id, track_api_key = credentials.new_site_id(), credentials.new_track_api_key()
    app_api_key, cdp_api_key = credentials.new_app_api_key(), credentials.new_write_key()
    queries.insert_track_credentials(
        conn, workspace_id=workspace_id, name="primary", site_id=site_id, api_key=track_api_key, now=now
    )
    queries.insert_app_api_key(conn, workspace_id=workspace_id, name="primary", key=app_api_key, now=now)
    queries.insert_source(
        conn, workspace_id=workspace_id, name="HTTP API", kind="http", write_key=cdp_api_key, now=now
    )
    workspace = queries.get_workspace(conn, workspace_id=workspace_id)
    assert workspace is not None
    return NewWorkspace(
        workspace=workspace,
        site_id=site_id,
        track_api_key=track_api_key,
        app_api_key=app_api_key,
        cdp_api_key=cdp_api_key,
    )
