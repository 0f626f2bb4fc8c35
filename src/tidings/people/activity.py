"""Rows for a person's activity log, built in one place so every writer records alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.people.attributes import AttributeChange
from tidings.people.activity_queries import insert_activities
from tidings.people.types import ActivityType, NewActivity

__all__ = ["activity_row", "attribute_change_rows", "failed_change_row", "record_activities", "record_activity"]


def activity_row(
    workspace_id: int, cio_id: str, type: ActivityType, *, name: str | None, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {"workspace_id": workspace_id, "cio_id": cio_id, "type": type.value, "name": name, "data": data, "timestamp": now}


def attribute_change_rows(
    workspace_id: int, cio_id: str, changes: Sequence[AttributeChange], *, now: datetime
) -> list[dict[str, Any]]:
    return [
        activity_row(
            workspace_id,
            cio_id,
            ActivityType.ATTRIBUTE_CHANGE,
            name=change.name,
            data={"from": change.old, "to": change.new},
            now=now,
        )
        for change in changes
    ]


def failed_change_row(workspace_id: int, cio_id: str, name: str, value: Any, *, now: datetime) -> dict[str, Any]:
    """Customer.io's "Failed Attribute Change": an identifier the call was not allowed to change."""
    return activity_row(
        workspace_id,
        cio_id,
        ActivityType.FAILED_ATTRIBUTE_CHANGE,
        name=name,
        data={"to": value, "reason": f"{name} can only be changed when the person is identified by cio_id"},
        now=now,
    )


def record_activity(
    conn: Connection, *, workspace_id: int, cio_id: str, type: str, name: str | None, data: dict[str, Any], now: datetime
) -> None:
    """Add a line to a person's activity from outside the people domain (a delivery was sent,
    opened, clicked...). `type` names the kind, as Customer.io's activity types do (`sent_email`)."""
    record_activities(conn, [NewActivity(workspace_id, cio_id, type, name, data)], now=now)


def record_activities(conn: Connection, activities: Sequence[NewActivity], *, now: datetime) -> None:
    """`record_activity` for many lines at once, in one statement."""
    insert_activities(
        conn,
        [
            {
                "workspace_id": activity.workspace_id,
                "cio_id": activity.cio_id,
                "type": activity.type,
                "name": activity.name,
                "data": activity.data,
                "timestamp": now,
            }
            for activity in activities
        ],
    )
