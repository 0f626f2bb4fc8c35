"""Statements over accounts, workspaces and credentials."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from tidings.db.schema import accounts, app_api_keys, sources, track_credentials, workspaces
from tidings.workspaces.credentials import hash_key, keys_match
from tidings.workspaces.types import EmailUpdatePolicy, IdentifierMode, SendMode, Workspace

__all__ = [
    "default_account_id",
    "get_workspace",
    "insert_app_api_key",
    "insert_source",
    "insert_track_credentials",
    "insert_workspace",
    "list_workspaces",
    "mark_has_suppressions",
    "set_language_attribute",
    "set_sending",
    "set_workspace_limits",
    "workspace_for_app_api_key",
    "workspace_for_track_credentials",
    "workspace_for_write_key",
]


def _workspace(row: Row[Any]) -> Workspace:
    return Workspace(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        identifier_mode=IdentifierMode(row.identifier_mode),
        email_update_policy=EmailUpdatePolicy(row.email_update_policy),
        anonymous_merge=bool(row.anonymous_merge),
        multi_identifier_merge=bool(row.multi_identifier_merge),
        has_suppressions=bool(row.has_suppressions),
        region=row.region,
        created_at=row.created_at,
        limits=dict(row.limits or {}),
        link_key=row.link_key or "",
        send_mode=SendMode(row.send_mode),
        test_address=row.test_address,
        is_open_tracking=bool(row.is_open_tracking),
        language_attribute=row.language_attribute,
    )


_WORKSPACE_COLUMNS = select(
    workspaces.c.id,
    workspaces.c.account_id,
    workspaces.c.name,
    workspaces.c.identifier_mode,
    workspaces.c.email_update_policy,
    workspaces.c.anonymous_merge,
    workspaces.c.multi_identifier_merge,
    workspaces.c.has_suppressions,
    workspaces.c.limits,
    workspaces.c.link_key,
    workspaces.c.send_mode,
    workspaces.c.test_address,
    workspaces.c.is_open_tracking,
    workspaces.c.language_attribute,
    workspaces.c.created_at,
    accounts.c.region,
).join_from(workspaces, accounts, workspaces.c.account_id == accounts.c.id)


def default_account_id(conn: Connection, *, now: datetime) -> int:
    """The first account, created on first use: a self-hosted install is one account."""
    existing = (conn.execute(select(accounts.c.id).order_by(accounts.c.id).limit(1))).scalar()
    if existing is not None:
        return existing
    result = conn.execute(insert(accounts).values(name="default", created_at=now))
    return result.inserted_primary_key[0]


def insert_workspace(
    conn: Connection,
    *,
    account_id: int,
    name: str,
    now: datetime,
    identifier_mode: IdentifierMode = IdentifierMode.EMAIL_OR_ID,
) -> int:
    result = conn.execute(
        insert(workspaces).values(
            account_id=account_id,
            name=name,
            identifier_mode=identifier_mode.value,
            link_key=secrets.token_hex(32),
            created_at=now,
        )
    )
    return result.inserted_primary_key[0]


def insert_track_credentials(
    conn: Connection, *, workspace_id: int, name: str, site_id: str, api_key: str, now: datetime
) -> None:
    conn.execute(
        insert(track_credentials).values(
            workspace_id=workspace_id, name=name, site_id=site_id, api_key=api_key, created_at=now
        )
    )


def insert_app_api_key(
    conn: Connection, *, workspace_id: int, name: str, key: str, now: datetime
) -> None:
    """Store only the key's hash; the key itself is shown to its creator once."""
    conn.execute(
        insert(app_api_keys).values(workspace_id=workspace_id, name=name, key_hash=hash_key(key), created_at=now)
    )


def insert_source(
    conn: Connection, *, workspace_id: int, name: str, kind: str, write_key: str, now: datetime
) -> None:
    conn.execute(
        insert(sources).values(workspace_id=workspace_id, name=name, kind=kind, write_key=write_key, created_at=now)
    )


def get_workspace(conn: Connection, *, workspace_id: int) -> Workspace | None:
    row = (conn.execute(_WORKSPACE_COLUMNS.where(workspaces.c.id == workspace_id))).first()
    return _workspace(row) if row else None


def list_workspaces(conn: Connection) -> list[Workspace]:
    rows = conn.execute(_WORKSPACE_COLUMNS.order_by(workspaces.c.id))
    return [_workspace(row) for row in rows]


def mark_has_suppressions(conn: Connection, *, workspace_id: int) -> None:
    """Record that the workspace has suppressed identifiers, so calls must be checked against them."""
    conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(has_suppressions=True))


def set_sending(
    conn: Connection, *, workspace_id: int, send_mode: SendMode, test_address: str | None, is_open_tracking: bool
) -> None:
    """The workspace's send mode (with its test address) and whether emails carry an open pixel."""
    conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(send_mode=send_mode.value, test_address=test_address, is_open_tracking=is_open_tracking)
    )


def set_language_attribute(conn: Connection, *, workspace_id: int, attribute: str) -> None:
    """Name the person attribute that holds each person's language."""
    conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(language_attribute=attribute))


def set_workspace_limits(conn: Connection, *, workspace_id: int, limits: dict[str, int]) -> None:
    """Replace a workspace's limit overrides; names not given fall back to the defaults."""
    conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(limits=limits))


def workspace_for_track_credentials(
    conn: Connection, *, site_id: str, api_key: str
) -> Workspace | None:
    """The workspace a Track API site id and key open, or None if they do not match."""
    row = (
        conn.execute(
            select(track_credentials.c.workspace_id, track_credentials.c.api_key).where(
                track_credentials.c.site_id == site_id
            )
        )
    ).first()
    if row is None or not keys_match(api_key, row.api_key):
        return None
    return get_workspace(conn, workspace_id=row.workspace_id)


def workspace_for_app_api_key(conn: Connection, *, key: str) -> Workspace | None:
    workspace_id = (
        conn.execute(select(app_api_keys.c.workspace_id).where(app_api_keys.c.key_hash == hash_key(key)))
    ).scalar()
    return None if workspace_id is None else get_workspace(conn, workspace_id=workspace_id)


def workspace_for_write_key(conn: Connection, *, write_key: str) -> Workspace | None:
    workspace_id = (
        conn.execute(select(sources.c.workspace_id).where(sources.c.write_key == write_key))
    ).scalar()
    return None if workspace_id is None else get_workspace(conn, workspace_id=workspace_id)
