"""Every statement about the re-check queue: for each (segment, person), the next instant time
alone can change whether they match, and re-checks asked for because data outside the processor
changed (a delivery the sender sent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Select

from tidings.db.dialect import insert_from_select, upsert_many
from tidings.db.driver import DriverStatement
from tidings.db.schema import segment_rechecks

__all__ = [
    "clear_segment_rechecks",
    "insert_rechecks",
    "person_rechecks",
    "take_due_rechecks",
    "write_rechecks",
]

_PAIRS_PER_STATEMENT = 500
_KEY = ("workspace_id", "segment_id", "cio_id")


def person_rechecks(conn: Connection, *, workspace_id: int, cio_ids: Sequence[str]) -> dict[tuple[int, str], datetime]:
    """The scheduled re-checks of some people, by (segment_id, cio_id)."""
    found: dict[tuple[int, str], datetime] = {}
    for start in range(0, len(cio_ids), _PAIRS_PER_STATEMENT):
        rows = conn.execute(
            select(segment_rechecks.c.segment_id, segment_rechecks.c.cio_id, segment_rechecks.c.due_at).where(
                segment_rechecks.c.workspace_id == workspace_id,
                segment_rechecks.c.cio_id.in_(list(cio_ids[start : start + _PAIRS_PER_STATEMENT])),
            )
        )
        found.update(((row.segment_id, row.cio_id), row.due_at) for row in rows)
    return found


def write_rechecks(conn: Connection, *, workspace_id: int, changes: Mapping[tuple[int, str], datetime | None]) -> None:
    """Schedule, move or (with None) cancel the re-checks of (segment_id, cio_id) pairs."""
    cancelled = [
        {"workspace_id": workspace_id, "segment_id": s, "cio_id": c} for (s, c), due in changes.items() if due is None
    ]
    _CANCEL.execute_many(conn, cancelled)
    rows = [
        {"workspace_id": workspace_id, "segment_id": s, "cio_id": c, "due_at": due}
        for (s, c), due in changes.items()
        if due is not None
    ]
    upsert_many(conn, segment_rechecks, rows, key=_KEY, update=("due_at",))


# A delete per re-check, each a lookup of the primary key, in one driver call (one round trip on
# PostgreSQL) whatever the segments.
_CANCEL = DriverStatement(
    lambda dialect: delete(segment_rechecks).where(
        segment_rechecks.c.workspace_id == bindparam("workspace_id"),
        segment_rechecks.c.segment_id == bindparam("segment_id"),
        segment_rechecks.c.cio_id == bindparam("cio_id"),
    )
)


def take_due_rechecks(conn: Connection, *, now: datetime, limit: int) -> list[tuple[int, int, str]]:
    """Remove and return up to `limit` re-checks due by `now`, as (workspace_id, segment_id, cio_id).

    One statement (a DELETE of the earliest due, RETURNING them); on PostgreSQL, rows another
    worker has taken are skipped, so workers never re-check one person at once.
    """
    key = tuple_(segment_rechecks.c.workspace_id, segment_rechecks.c.segment_id, segment_rechecks.c.cio_id)
    earliest = (
        select(segment_rechecks.c.workspace_id, segment_rechecks.c.segment_id, segment_rechecks.c.cio_id)
        .where(segment_rechecks.c.due_at <= now)
        .order_by(segment_rechecks.c.due_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        earliest = earliest.with_for_update(skip_locked=True)
    taken = conn.execute(
        delete(segment_rechecks)
        .where(key.in_(earliest))
        .returning(segment_rechecks.c.workspace_id, segment_rechecks.c.segment_id, segment_rechecks.c.cio_id)
    )
    return sorted((w, s, c) for w, s, c in taken)


def clear_segment_rechecks(
    conn: Connection, *, workspace_id: int, segment_id: int, among: Select[Any] | None = None
) -> None:
    """Cancel every re-check of a segment (before a build schedules them again, or a deletion),
    or those of the people `among` (a query of cio_ids)."""
    where = [segment_rechecks.c.workspace_id == workspace_id, segment_rechecks.c.segment_id == segment_id]
    if among is not None:
        where.append(segment_rechecks.c.cio_id.in_(among))
    conn.execute(delete(segment_rechecks).where(*where))


def insert_rechecks(conn: Connection, rows: Select[Any]) -> None:
    """Schedule re-checks in one statement from a query of (workspace_id, segment_id, cio_id, due_at)."""
    insert_from_select(conn, segment_rechecks, [*_KEY, "due_at"], rows)
