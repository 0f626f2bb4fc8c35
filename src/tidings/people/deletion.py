"""Delete, suppress and unsuppress.

Delete removes a person and their data; anything may create them again. Suppress deletes them
and blocks their identifiers (id, and email where email is an identifier), so later calls that
name them are ignored. Unsuppress frees those identifiers; a new person starts with no history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from tidings.people import queries
from tidings.people.departures import Departures
from tidings.people.types import IdentifierKind, ResolvedRef
from tidings.workspaces import IdentifierMode, Workspace, mark_has_suppressions

__all__ = ["delete_person", "suppress_person", "unsuppress_person"]


def delete_person(
    conn: Connection, workspace: Workspace, *, ref: ResolvedRef, departures: Departures, now: datetime
) -> bool:
    """True if someone was deleted (`departures` records what they leave, at `now`)."""
    person = queries.find_person(conn, workspace_id=workspace.id, ref=ref)
    if person is None:
        return False
    departures.person_removed(conn, workspace_id=workspace.id, cio_id=person.cio_id, now=now)
    queries.delete_person_data(conn, workspace_id=workspace.id, cio_id=person.cio_id)
    return True


def suppress_person(
    conn: Connection, workspace: Workspace, *, ref: ResolvedRef, departures: Departures, now: datetime
) -> None:
    """Delete the person (`departures` records what they leave) and suppress their identifiers;
    an unknown id or email is suppressed alone."""
    person = queries.find_person(conn, workspace_id=workspace.id, ref=ref)
    mark_has_suppressions(conn, workspace_id=workspace.id)
    if person is None:
        if ref.kind is not IdentifierKind.CIO_ID:
            queries.insert_suppressions(conn, workspace_id=workspace.id, cio_id="", refs=[ref], now=now)
        return
    refs = []
    if person.id:
        refs.append(ResolvedRef(IdentifierKind.ID, person.id))
    if person.email and workspace.identifier_mode is IdentifierMode.EMAIL_OR_ID:
        refs.append(ResolvedRef(IdentifierKind.EMAIL, person.email))
    departures.person_removed(conn, workspace_id=workspace.id, cio_id=person.cio_id, now=now)
    queries.delete_person_data(conn, workspace_id=workspace.id, cio_id=person.cio_id)
    queries.insert_suppressions(conn, workspace_id=workspace.id, cio_id=person.cio_id, refs=refs, now=now)


def unsuppress_person(conn: Connection, workspace: Workspace, *, ref: ResolvedRef) -> bool:
    """Free the identifiers of the suppressed person `ref` names; True if any were freed."""
    return queries.delete_suppressions(conn, workspace_id=workspace.id, ref=ref) > 0
