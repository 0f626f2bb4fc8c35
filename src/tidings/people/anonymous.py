"""How long what an anonymous id did waits for an identify, and how late it may still join one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from tidings.people import activity_queries, queries
from tidings.people.types import IdentifierKind, Person, ResolvedRef
from tidings.workspaces import Workspace

__all__ = ["ANONYMOUS_LATE_WINDOW", "ANONYMOUS_RETENTION", "anonymous_merge", "late_joiner"]

# Anonymous events that arrive up to 5 minutes after the identify that merged their anonymous id
# still join the person; after that the anonymous id cannot be reused.
ANONYMOUS_LATE_WINDOW = timedelta(minutes=5)
# Unmerged anonymous events (and devices) are kept 30 days.
ANONYMOUS_RETENTION = timedelta(days=30)


def anonymous_merge(conn: Connection, workspace: Workspace, *, anonymous_id: str) -> tuple[str, datetime] | None:
    """The cio_id of the person an anonymous id was merged into, and when; None if it never was."""
    return activity_queries.find_anonymous_merge(conn, workspace_id=workspace.id, anonymous_id=anonymous_id)


def late_joiner(conn: Connection, workspace: Workspace, *, anonymous_id: str, now: datetime) -> Person | None:
    """The person an anonymous id was merged into less than 5 minutes ago: what arrives for the id
    now joins them directly. None when it was never merged, or too long ago."""
    merged = activity_queries.find_anonymous_merge(conn, workspace_id=workspace.id, anonymous_id=anonymous_id)
    if merged is None or now - merged[1] > ANONYMOUS_LATE_WINDOW:
        return None
    return queries.find_person(conn, workspace_id=workspace.id, ref=ResolvedRef(IdentifierKind.CIO_ID, merged[0]))
