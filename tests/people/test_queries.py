"""Statements of the people domain that the processor uses in bulk agree with their one-row forms."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver
from tidings.clock import ManualClock
from tidings.people import IdentifierKind, ResolvedRef, find_person
from tidings.people.queries import find_people
from tidings.workspaces import IdentifierMode


async def test_find_people_finds_what_find_person_finds(track: TrackDriver, clock: ManualClock) -> None:
    # In an id-only workspace two people can share an email; the oldest is the one found.
    id_only = TrackDriver(
        track.client, track.services, await new_workspace(track.services, identifier_mode=IdentifierMode.ID_ONLY)
    )
    await id_only.identify("older", email="Shared@example.com")
    await id_only.processed()
    clock.advance(timedelta(seconds=1))
    await id_only.identify("younger", email="shared@example.com")
    await track.identify("u1", email="ann@example.com")
    await track.processed()

    with track.services.db.connect() as conn:
        for driver, found in ((track, 2), (id_only, 3)):
            workspace_id = driver.workspace.workspace.id
            older = find_person(conn, workspace_id=workspace_id, ref=ResolvedRef(IdentifierKind.ID, "older"))
            refs = [
                ResolvedRef(IdentifierKind.ID, "u1"),
                ResolvedRef(IdentifierKind.ID, "older"),
                ResolvedRef(IdentifierKind.ID, "nobody"),
                ResolvedRef(IdentifierKind.EMAIL, "ANN@example.com"),
                ResolvedRef(IdentifierKind.EMAIL, "shared@EXAMPLE.com"),
                ResolvedRef(IdentifierKind.EMAIL, "nobody@example.com"),
                ResolvedRef(IdentifierKind.CIO_ID, older.cio_id if older else "0000"),
            ]
            expected = {
                ref: person
                for ref in refs
                if (person := find_person(conn, workspace_id=workspace_id, ref=ref)) is not None
            }

            assert find_people(conn, workspace_id=workspace_id, refs=refs) == expected
            assert len(expected) == found
