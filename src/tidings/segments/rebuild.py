"""The statements of a build: everyone who matches, set against the members, in a few set-based
statements however many people there are.

The matching people go once into a temporary table (the condition is evaluated once); exits and
entries are then each an anti-join against it (for a build, over everyone; when an object several
people are related to changes, over those people only), written as feed rows, activity lines and the
membership change itself, with INSERT ... SELECT. Nothing is read back into Python.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, cast, delete, exists, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import ColumnElement, Select

from tidings.db.dialect import insert_from_select
from tidings.db.schema import activities, people, segment_changes, segment_members
from tidings.db.types import UtcDateTime
from tidings.segments.definitions import Segment
from tidings.segments.storage import transaction_id
from tidings.segments.types import ChangeKind

__all__ = ["collect_matches", "move_members"]

# Per connection (SQLite) or per transaction (PostgreSQL, ON COMMIT DROP); never in db/schema.py.
_MATCHES = Table("segment_build_matches", MetaData(), Column("cio_id", String(32), primary_key=True))
_CREATE = "CREATE TEMPORARY TABLE IF NOT EXISTS segment_build_matches (cio_id VARCHAR(32) PRIMARY KEY)"


def collect_matches(conn: Connection, *, matching: ColumnElement[bool]) -> None:
    """Put the cio_ids of the people `matching` (a compiled condition) into the build's table."""
    on_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    conn.exec_driver_sql(_CREATE + on_commit)
    conn.execute(delete(_MATCHES))
    insert_from_select(conn, _MATCHES, ["cio_id"], select(people.c.cio_id).where(matching))


def move_members(
    conn: Connection,
    *,
    workspace_id: int,
    segment: Segment,
    now: datetime,
    entered_activity: str,
    exited_activity: str,
    among: Select[Any] | None = None,
) -> tuple[int, int]:
    """Make the segment's members exactly the collected matches; returns (entered, exited).

    With `among` (a query of cio_ids), only those people are moved: the matches must have been
    collected among them, and other members stay. Every change gets a feed row (matchtime: `now`)
    and an activity line.
    """
    member = segment_members.c
    of_segment: tuple[ColumnElement[bool], ...] = (member.workspace_id == workspace_id, member.segment_id == segment.id)
    if among is not None:
        of_segment += (member.cio_id.in_(among),)
    leaving = select(member.cio_id.label("cio_id")).where(*of_segment, ~exists().where(_MATCHES.c.cio_id == member.cio_id))
    joining = select(_MATCHES.c.cio_id.label("cio_id")).where(
        ~exists().where(*of_segment[:2], member.cio_id == _MATCHES.c.cio_id)
    )
    when = literal(now, UtcDateTime)

    def record(people_changing: Any, kind: ChangeKind, activity: str) -> None:
        changing = people_changing.subquery()
        feed = select(
            transaction_id(conn), literal(workspace_id), literal(segment.id), changing.c.cio_id, literal(kind.value), when, when
        )
        conn.execute(
            insert(segment_changes).from_select(
                ["transaction_id", "workspace_id", "segment_id", "cio_id", "change", "at", "matchtime"], feed
            )
        )
        data = _json(conn, {"segment_id": segment.id})
        lines = select(literal(workspace_id), changing.c.cio_id, literal(activity), literal(segment.name), data, when)
        conn.execute(insert(activities).from_select(["workspace_id", "cio_id", "type", "name", "data", "timestamp"], lines))

    record(leaving, ChangeKind.EXITED, exited_activity)
    exited = conn.execute(
        delete(segment_members).where(*of_segment, ~exists().where(_MATCHES.c.cio_id == member.cio_id))
    ).rowcount
    record(joining, ChangeKind.ENTERED, entered_activity)
    # Every match, skipping the members already in: an anti-join against the table being written
    # made PostgreSQL scan the rows it had just inserted once per row (its statistics said empty).
    # The WHERE lets SQLite tell the upsert's ON from a join's.
    rows = select(literal(workspace_id), literal(segment.id), _MATCHES.c.cio_id, when, when).where(_MATCHES.c.cio_id.is_not(None))
    insert_members = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(segment_members)
    entered = conn.execute(
        insert_members.from_select(["workspace_id", "segment_id", "cio_id", "entered_at", "matchtime"], rows).on_conflict_do_nothing()
    ).rowcount
    conn.execute(delete(_MATCHES))
    return entered, exited


def _json(conn: Connection, value: Any) -> ColumnElement[Any]:
    """A JSON constant for an INSERT ... SELECT: PostgreSQL needs it typed; SQLite keeps JSON as text."""
    text = json.dumps(value, separators=(",", ":"))
    if conn.dialect.name == "postgresql":
        return cast(literal(text, String), JSONB)
    return literal(text, String)
