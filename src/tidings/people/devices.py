"""A person's push devices: upserted by token, at most 25, the least recently used evicted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.people import queries
from tidings.people.activity import activity_row
from tidings.people.types import ActivityType, Device, Person
from tidings.workspaces import Workspace

__all__ = ["MAX_DEVICES", "delete_device", "upsert_device"]

# "We store up to 25 devices. If you add a 26th device, we'll remove the device with the oldest
# last_used timestamp."
MAX_DEVICES = 25


def upsert_device(
    conn: Connection,
    workspace: Workspace,
    person: Person,
    *,
    token: str,
    platform: str,
    last_used: datetime,
    attributes: dict[str, Any],
    now: datetime,
) -> None:
    """Add or refresh a device. Re-registering a token clears its bounced/suppressed status."""
    existing = {d.token: d for d in queries.list_devices(conn, workspace_id=workspace.id, cio_id=person.cio_id)}
    previous = existing.get(token)
    merged_attributes = {**(previous.attributes if previous else {}), **attributes}
    device = Device(token=token, platform=platform, last_used=last_used, last_status="", attributes=merged_attributes)
    queries.upsert_device(conn, workspace_id=workspace.id, cio_id=person.cio_id, device=device, now=now)
    if previous is None and len(existing) >= MAX_DEVICES:
        queries.delete_oldest_devices(conn, workspace_id=workspace.id, cio_id=person.cio_id, keep=MAX_DEVICES)
    queries.insert_activities(
        conn,
        [
            activity_row(
                workspace.id,
                person.cio_id,
                ActivityType.DEVICE_UPDATE,
                name=token,
                data={"platform": platform, "attributes": attributes},
                now=now,
            )
        ],
    )


def delete_device(conn: Connection, workspace: Workspace, person: Person, *, token: str, now: datetime) -> None:
    if queries.delete_device(conn, workspace_id=workspace.id, cio_id=person.cio_id, token=token):
        queries.insert_activities(
            conn,
            [activity_row(workspace.id, person.cio_id, ActivityType.DEVICE_DELETE, name=token, data={}, now=now)],
        )
