"""Merging two people into one, with Customer.io's primary-wins rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.engine import Connection

from tidings.people import activity_queries, device_queries, object_queries, queries
from tidings.people.activity import activity_row
from tidings.people.attributes import fill_missing_attributes
from tidings.people.departures import Departures
from tidings.people.devices import MAX_DEVICES
from tidings.people.types import ActivityType, Person
from tidings.workspaces import Workspace

__all__ = ["merge_people"]


def merge_people(
    conn: Connection,
    workspace: Workspace,
    *,
    primary: Person,
    secondary: Person,
    source: str,
    departures: Departures,
    now: datetime,
) -> Person:
    """Fold `secondary` into `primary` and delete it; returns the merged primary.

    The secondary's attributes fill what the primary lacks (the primary wins where both have a
    value), its id or email carries over where the primary has none, and its events, activity,
    relationships and devices move to the primary (keeping the most recently used 25 devices);
    `departures` passes on what the secondary was in.
    """
    attributes, timestamps = fill_missing_attributes(
        primary.attributes, primary.attribute_timestamps, secondary.attributes, secondary.attribute_timestamps
    )
    merged = replace(
        primary,
        id=primary.id or secondary.id,
        email=primary.email or secondary.email,
        attributes=attributes,
        attribute_timestamps=timestamps,
        updated_at=now,
    )
    secondary_devices = device_queries.list_devices(conn, workspace_id=workspace.id, cio_id=secondary.cio_id)
    known_tokens = {d.token for d in device_queries.list_devices(conn, workspace_id=workspace.id, cio_id=primary.cio_id)}
    queries.move_person_data(
        conn, workspace_id=workspace.id, from_cio_id=secondary.cio_id, to_cio_id=primary.cio_id
    )
    object_queries.move_relationships(
        conn, workspace_id=workspace.id, from_cio_id=secondary.cio_id, to_cio_id=primary.cio_id
    )
    departures.person_merged(
        conn, workspace_id=workspace.id, from_cio_id=secondary.cio_id, to_cio_id=primary.cio_id, now=now
    )
    # The secondary goes first so its id and email are free for the primary to take.
    queries.delete_person_data(conn, workspace_id=workspace.id, cio_id=secondary.cio_id)
    queries.update_person(conn, workspace_id=workspace.id, person=merged)
    for device in secondary_devices:
        if device.token not in known_tokens:
            device_queries.upsert_device(conn, workspace_id=workspace.id, cio_id=primary.cio_id, device=device, now=now)
    device_queries.delete_oldest_devices(conn, workspace_id=workspace.id, cio_id=primary.cio_id, keep=MAX_DEVICES)
    activity_queries.insert_activities(
        conn,
        [
            activity_row(
                workspace.id,
                primary.cio_id,
                ActivityType.PROFILE_MERGE,
                name=None,
                data={
                    "source": source,
                    "secondary": {"cio_id": secondary.cio_id, "id": secondary.id, "email": secondary.email},
                },
                now=now,
            )
        ],
    )
    return merged
