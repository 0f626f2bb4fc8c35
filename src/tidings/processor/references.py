"""How the processor names what a canonical message refers to, in the people package's terms."""

from __future__ import annotations

from tidings import people
from tidings.log import ObjectRef, Page, PersonRef, Screen, Track
from tidings.people import EventType, IdentifierKind, ObjectKey, ResolvedRef
from tidings.workspaces import IdentifierMode, Workspace

EVENT_TYPES = {Track: EventType.EVENT, Page: EventType.PAGE, Screen: EventType.SCREEN}


def resolve(ref: PersonRef, workspace: Workspace) -> ResolvedRef:
    if ref.cio_id:
        return ResolvedRef(IdentifierKind.CIO_ID, ref.cio_id)
    if ref.id:
        return ResolvedRef(IdentifierKind.ID, ref.id)
    if ref.email:
        return ResolvedRef(IdentifierKind.EMAIL, ref.email)
    assert ref.user_id, "ingest must name a person by cio_id, id, email or user_id"
    return people.resolve_user_id(
        ref.user_id, email_is_identifier=workspace.identifier_mode is IdentifierMode.EMAIL_OR_ID
    )


def object_key(ref: ObjectRef) -> ObjectKey:
    return ObjectKey(type_id=ref.type_id, object_id=ref.object_id, cio_object_id=ref.cio_object_id)
