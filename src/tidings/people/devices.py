"""Push devices: a person's, upserted by token, at most 25, the least recently used evicted; and
those registered before anyone is identified, kept with the anonymous id until an identify merges it.

A mobile SDK registers its push token as soon as it has one, often before login: without keeping
those devices, a person who signs in would get no push until the app sends the token again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.people import activity_queries
from tidings.people import device_queries as queries
from tidings.people.activity import activity_row
from tidings.people.anonymous import late_joiner
from tidings.people.types import ActivityType, Device, Person
from tidings.workspaces import Workspace

__all__ = [
    "MAX_DEVICES",
    "adopt_anonymous_devices",
    "delete_anonymous_device",
    "delete_device",
    "upsert_anonymous_device",
    "upsert_device",
]

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
    activity_queries.insert_activities(
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
        activity_queries.insert_activities(
            conn,
            [activity_row(workspace.id, person.cio_id, ActivityType.DEVICE_DELETE, name=token, data={}, now=now)],
        )


def upsert_anonymous_device(
    conn: Connection,
    workspace: Workspace,
    *,
    anonymous_id: str,
    token: str,
    platform: str,
    last_used: datetime,
    attributes: dict[str, Any],
    now: datetime,
) -> None:
    """Keep a device of an anonymous id; within 5 minutes of the identify that merged the anonymous
    id it joins that person instead, as a late anonymous event does."""
    person = late_joiner(conn, workspace, anonymous_id=anonymous_id, now=now)
    if person is not None:
        upsert_device(
            conn, workspace, person, token=token, platform=platform, last_used=last_used, attributes=attributes, now=now
        )
        return
    previous = {d.token: d for d in queries.list_anonymous_devices(conn, workspace_id=workspace.id, anonymous_id=anonymous_id)}
    merged_attributes = {**(previous[token].attributes if token in previous else {}), **attributes}
    device = Device(token=token, platform=platform, last_used=last_used, last_status="", attributes=merged_attributes)
    queries.upsert_anonymous_device(conn, workspace_id=workspace.id, anonymous_id=anonymous_id, device=device, received_at=now)


def delete_anonymous_device(
    conn: Connection, workspace: Workspace, *, anonymous_id: str, token: str, now: datetime
) -> None:
    person = late_joiner(conn, workspace, anonymous_id=anonymous_id, now=now)
    if person is not None:
        delete_device(conn, workspace, person, token=token, now=now)
    else:
        queries.delete_anonymous_device(conn, workspace_id=workspace.id, anonymous_id=anonymous_id, token=token)


def adopt_anonymous_devices(
    conn: Connection, workspace: Workspace, person: Person, *, anonymous_id: str, now: datetime
) -> int:
    """Give a person the devices of the anonymous id just merged into them; returns how many."""
    taken = queries.take_anonymous_devices(conn, workspace_id=workspace.id, anonymous_id=anonymous_id)
    for device in taken:
        upsert_device(
            conn,
            workspace,
            person,
            token=device.token,
            platform=device.platform,
            last_used=device.last_used,
            attributes=device.attributes,
            now=now,
        )
    return len(taken)
