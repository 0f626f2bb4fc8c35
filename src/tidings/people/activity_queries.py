"""The statements behind a person's activity: events (anonymous ones and their merges too) and
activity rows. Rows in, values out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, Table, bindparam, cast, delete, func, insert, literal, select, tuple_, union_all, update
from sqlalchemy.engine import Connection

from tidings.db.dialect import insert_ignoring_conflicts_statement, one_of
from tidings.db.driver import DriverStatement
from tidings.db.schema import activities, anonymous_merges, events
from tidings.people.types import Activity

__all__ = [
    "attach_anonymous_events",
    "delete_anonymous_events_received_before",
    "find_anonymous_merge",
    "insert_activities",
    "insert_anonymous_merge",
    "insert_events",
    "list_activities",
    "list_anonymous_events",
]


_EVENT_COLUMNS = (
    "workspace_id", "cio_id", "anonymous_id", "event_id", "type", "name", "data", "timestamp", "received_at", "processed_at"
)
_INSERT_EVENT = DriverStatement(
    lambda dialect: insert_ignoring_conflicts_statement(events, dialect)
    .values({name: bindparam(name) for name in _EVENT_COLUMNS})
    .returning(events.c.workspace_id, events.c.event_id)
)
_INSERT_NEW_EVENT = DriverStatement(
    lambda dialect: insert(events).values({name: bindparam(name) for name in _EVENT_COLUMNS})
)
_STORED_EVENT_IDS = DriverStatement(
    lambda dialect: select(events.c.event_id).where(
        events.c.workspace_id == bindparam("workspace_id"), one_of(events.c.event_id, "event_ids", dialect)
    )
)


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> set[tuple[int, str]]:
    """Store events whose (workspace_id, event_id) differ from each other; returns those stored,
    leaving out the ones whose event id was seen before.

    PostgreSQL inserts them all in one pipeline, skipping conflicts. SQLite would run an insert
    with RETURNING a row at a time (its driver refuses RETURNING in an executemany); there the
    processor is the only writer, so the ids stored already are read in one statement per
    workspace and the others inserted in one executemany.
    """
    if conn.dialect.name == "postgresql":
        return {(workspace_id, event_id) for workspace_id, event_id in _INSERT_EVENT.returning_many(conn, rows)}
    wanted: dict[int, list[str]] = {}
    for row in rows:
        wanted.setdefault(row["workspace_id"], []).append(row["event_id"])
    stored = {
        (workspace_id, event_id)
        for workspace_id, event_ids in wanted.items()
        for (event_id,) in _STORED_EVENT_IDS.rows(conn, {"workspace_id": workspace_id, "event_ids": event_ids})
    }
    new = [row for row in rows if (row["workspace_id"], row["event_id"]) not in stored]
    _INSERT_NEW_EVENT.execute_many(conn, new)
    return {(row["workspace_id"], row["event_id"]) for row in new}


_UNMERGED = (
    events.c.workspace_id == bindparam("in_workspace"),
    events.c.anonymous_id == bindparam("of_anonymous_id"),
    # Not `cio_id IS NULL`: SQLite (without ANALYZE) would then search ix_events_person for
    # cio_id = NULL, reading every unmerged anonymous event of the workspace, instead of
    # ix_events_anonymous. cio_ids are never empty, so the two conditions select the same rows.
    func.coalesce(events.c.cio_id, "") == "",
)
_ATTACH_UNMERGED = DriverStatement(
    lambda dialect: update(events)
    .where(*_UNMERGED)
    .values(cio_id=bindparam("to_cio_id"), processed_at=bindparam("at"))
    .returning(events.c.timestamp)
)


def attach_anonymous_events(
    conn: Connection, *, workspace_id: int, anonymous_id: str, cio_id: str, now: datetime
) -> tuple[int, datetime | None]:
    """Give a person the unmerged events of an anonymous id; returns how many and the oldest time."""
    parameters = {"in_workspace": workspace_id, "of_anonymous_id": anonymous_id, "to_cio_id": cio_id, "at": now}
    timestamps = [timestamp for (timestamp,) in _ATTACH_UNMERGED.rows(conn, parameters)]
    return len(timestamps), min(timestamps, default=None)


def delete_anonymous_events_received_before(conn: Connection, *, cutoff: datetime) -> int:
    """Drop unmerged anonymous events of every workspace received before `cutoff`."""
    result = conn.execute(delete(events).where(events.c.cio_id.is_(None), events.c.received_at < cutoff))
    return result.rowcount


_FIND_ANONYMOUS_MERGE = DriverStatement(
    lambda dialect: select(anonymous_merges.c.cio_id, anonymous_merges.c.merged_at).where(
        anonymous_merges.c.workspace_id == bindparam("workspace_id"),
        anonymous_merges.c.anonymous_id == bindparam("anonymous_id"),
    )
)


def find_anonymous_merge(
    conn: Connection, *, workspace_id: int, anonymous_id: str
) -> tuple[str, datetime] | None:
    rows = _FIND_ANONYMOUS_MERGE.rows(conn, {"workspace_id": workspace_id, "anonymous_id": anonymous_id})
    return rows[0] if rows else None


_INSERT_ANONYMOUS_MERGE = DriverStatement(
    lambda dialect: insert_ignoring_conflicts_statement(anonymous_merges, dialect).values(
        {name: bindparam(name) for name in ("workspace_id", "anonymous_id", "cio_id", "merged_at")}
    )
)


def insert_anonymous_merge(
    conn: Connection, *, workspace_id: int, anonymous_id: str, cio_id: str, now: datetime
) -> bool:
    """Record that an anonymous id merged into a person; False (and nothing changed) if it already had."""
    row = {"workspace_id": workspace_id, "anonymous_id": anonymous_id, "cio_id": cio_id, "merged_at": now}
    return _INSERT_ANONYMOUS_MERGE.execute_many(conn, [row]) == 1


_INSERT_ACTIVITY = DriverStatement(
    lambda dialect: insert(activities).values(
        {name: bindparam(name) for name in ("workspace_id", "cio_id", "type", "name", "data", "timestamp")}
    )
)


def insert_activities(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store activity rows (as `activity_row` makes them) in one executemany."""
    _INSERT_ACTIVITY.execute_many(conn, rows)


def _activity_rows(table: Table, prefix: str, *, workspace_id: int, cio_id: str, type: str | None) -> Select[Any]:
    rows = select(
        (literal(prefix) + cast(table.c.pk, String)).label("key"),
        table.c.type,
        table.c.name,
        table.c.data,
        table.c.timestamp,
    ).where(table.c.workspace_id == workspace_id, table.c.cio_id == cio_id)
    return rows if type is None else rows.where(table.c.type == type)


def list_activities(
    conn: Connection,
    *,
    workspace_id: int,
    cio_id: str,
    type: str | None,
    name: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[Activity]:
    """A person's events and changes, newest first, continuing after the `before` cursor.

    Keys are "e<pk>" for events and "a<pk>" for other activity; with the time they order the feed.
    """
    event_rows = _activity_rows(events, "e", workspace_id=workspace_id, cio_id=cio_id, type=type)
    change_rows = _activity_rows(activities, "a", workspace_id=workspace_id, cio_id=cio_id, type=type)
    if name is not None:
        # Event names match case-insensitively, as in Customer.io's segments and triggers.
        event_rows = event_rows.where(func.lower(events.c.name) == name.lower())
        change_rows = change_rows.where(activities.c.name == name)
    combined = union_all(event_rows, change_rows).subquery()
    statement = select(combined).order_by(combined.c.timestamp.desc(), combined.c.key.desc()).limit(limit)
    if before is not None:
        statement = statement.where(tuple_(combined.c.timestamp, combined.c.key) < tuple_(*before))
    rows = conn.execute(statement)
    timestamp_type = events.c.timestamp.type
    return [
        Activity(
            key=row.key,
            type=row.type,
            name=row.name,
            data=row.data if isinstance(row.data, dict) else {},
            timestamp=timestamp_type.process_result_value(row.timestamp, conn.dialect),
        )
        for row in rows
    ]


def list_anonymous_events(conn: Connection, *, workspace_id: int, anonymous_id: str, limit: int) -> list[Activity]:
    """Events of an anonymous id not yet merged into a person, newest first."""
    rows = conn.execute(
        select(events.c.pk, events.c.type, events.c.name, events.c.data, events.c.timestamp)
        .where(events.c.workspace_id == workspace_id, events.c.anonymous_id == anonymous_id, events.c.cio_id.is_(None))
        .order_by(events.c.timestamp.desc(), events.c.pk.desc())
        .limit(limit)
    )
    return [Activity(f"e{row.pk}", row.type, row.name, dict(row.data), row.timestamp) for row in rows]
