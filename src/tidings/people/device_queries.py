"""Every statement about push devices: a person's, and those of anonymous ids. Rows in, values out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.engine import Connection

from tidings.db.dialect import upsert
from tidings.db.driver import DriverStatement
from tidings.db.schema import anonymous_devices, devices
from tidings.people.types import Device


def list_devices(conn: Connection, *, workspace_id: int, cio_id: str) -> list[Device]:
    rows = conn.execute(
        select(devices.c.token, devices.c.platform, devices.c.last_used, devices.c.last_status, devices.c.attributes)
        .where(devices.c.workspace_id == workspace_id, devices.c.cio_id == cio_id)
        .order_by(devices.c.last_used.desc())
    )
    return [Device(row.token, row.platform, row.last_used, row.last_status, dict(row.attributes)) for row in rows]


def upsert_device(conn: Connection, *, workspace_id: int, cio_id: str, device: Device, now: datetime) -> None:
    upsert(
        conn,
        devices,
        {
            "workspace_id": workspace_id,
            "cio_id": cio_id,
            "token": device.token,
            "platform": device.platform,
            "last_used": device.last_used,
            "last_status": device.last_status,
            "attributes": device.attributes,
            "created_at": now,
        },
        key=("workspace_id", "cio_id", "token"),
        update=("platform", "last_used", "last_status", "attributes"),
    )


def delete_device(conn: Connection, *, workspace_id: int, cio_id: str, token: str) -> bool:
    result = conn.execute(
        delete(devices).where(devices.c.workspace_id == workspace_id, devices.c.cio_id == cio_id, devices.c.token == token)
    )
    return result.rowcount > 0


def count_devices(conn: Connection, *, workspace_id: int, cio_id: str) -> int:
    statement = select(func.count()).where(devices.c.workspace_id == workspace_id, devices.c.cio_id == cio_id)
    return (conn.execute(statement)).scalar_one()


def delete_oldest_devices(conn: Connection, *, workspace_id: int, cio_id: str, keep: int) -> None:
    """Keep the `keep` most recently used devices of a person and delete the rest."""
    kept = (
        select(devices.c.token)
        .where(devices.c.workspace_id == workspace_id, devices.c.cio_id == cio_id)
        .order_by(devices.c.last_used.desc(), devices.c.created_at.desc())
        .limit(keep)
    )
    conn.execute(
        delete(devices).where(
            devices.c.workspace_id == workspace_id, devices.c.cio_id == cio_id, devices.c.token.not_in(kept.scalar_subquery())
        )
    )


def upsert_anonymous_device(
    conn: Connection, *, workspace_id: int, anonymous_id: str, device: Device, received_at: datetime
) -> None:
    """Keep a device of an anonymous id; registering its token again refreshes it."""
    upsert(
        conn,
        anonymous_devices,
        {
            "workspace_id": workspace_id,
            "anonymous_id": anonymous_id,
            "token": device.token,
            "platform": device.platform,
            "last_used": device.last_used,
            "attributes": device.attributes,
            "received_at": received_at,
        },
        key=("workspace_id", "anonymous_id", "token"),
        update=("platform", "last_used", "attributes", "received_at"),
    )


def delete_anonymous_device(conn: Connection, *, workspace_id: int, anonymous_id: str, token: str) -> bool:
    result = conn.execute(
        delete(anonymous_devices).where(
            anonymous_devices.c.workspace_id == workspace_id,
            anonymous_devices.c.anonymous_id == anonymous_id,
            anonymous_devices.c.token == token,
        )
    )
    return result.rowcount > 0


_TAKE_ANONYMOUS_DEVICES = DriverStatement(
    lambda dialect: delete(anonymous_devices)
    .where(
        anonymous_devices.c.workspace_id == bindparam("workspace_id"),
        anonymous_devices.c.anonymous_id == bindparam("anonymous_id"),
    )
    .returning(
        anonymous_devices.c.token,
        anonymous_devices.c.platform,
        anonymous_devices.c.last_used,
        anonymous_devices.c.attributes,
    )
)


def take_anonymous_devices(conn: Connection, *, workspace_id: int, anonymous_id: str) -> list[Device]:
    """Remove and return the devices of an anonymous id, most recently used first (one statement:
    every identify with an anonymous id new to its workspace runs it)."""
    rows = _TAKE_ANONYMOUS_DEVICES.rows(conn, {"workspace_id": workspace_id, "anonymous_id": anonymous_id})
    taken = [Device(token, platform, last_used, "", dict(attributes)) for token, platform, last_used, attributes in rows]
    return sorted(taken, key=lambda device: device.last_used, reverse=True)


def list_anonymous_devices(conn: Connection, *, workspace_id: int, anonymous_id: str) -> list[Device]:
    rows = conn.execute(
        select(
            anonymous_devices.c.token,
            anonymous_devices.c.platform,
            anonymous_devices.c.last_used,
            anonymous_devices.c.attributes,
        )
        .where(anonymous_devices.c.workspace_id == workspace_id, anonymous_devices.c.anonymous_id == anonymous_id)
        .order_by(anonymous_devices.c.last_used.desc())
    )
    return [Device(row.token, row.platform, row.last_used, "", dict(row.attributes)) for row in rows]


def delete_anonymous_devices_received_before(conn: Connection, *, cutoff: datetime) -> int:
    """Drop the devices of every workspace's anonymous ids last registered before `cutoff`."""
    return conn.execute(delete(anonymous_devices).where(anonymous_devices.c.received_at < cutoff)).rowcount
