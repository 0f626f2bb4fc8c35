"""Objects (companies, accounts, courses) and people's relationships to them.

As at Customer.io: an object is named by its type and `object_id`, or by its generated
`cio_object_id`; a call naming an unknown object creates it, and an unknown type number creates
the type (named after an animal, as Customer.io names them) up to 15 times. Deleting an object
deletes its relationships. Relationships carry attributes of their own and have no history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.engine import Connection

from tidings.errors import LimitExceeded
from tidings.people import object_queries as queries
from tidings.people.activity import activity_row
from tidings.people.anonymous import late_joiner
from tidings.people.attributes import merge_plain_attributes
from tidings.people.errors import ObjectNotFound, ObjectTypeNotFound
from tidings.people.identifiers import new_cio_id
from tidings.people.activity_queries import insert_activities
from tidings.people.types import ActivityType, Object, ObjectKey, ObjectType, Person
from tidings.workspaces import Workspace

__all__ = [
    "MAX_AUTO_CREATED_OBJECT_TYPES",
    "MAX_OBJECT_ATTRIBUTE_BYTES",
    "adopt_anonymous_relationships",
    "delete_object",
    "find_object",
    "identify_object",
    "relate",
    "relate_anonymous",
    "unrelate",
]

MAX_AUTO_CREATED_OBJECT_TYPES = 15
MAX_OBJECT_ATTRIBUTE_BYTES = 100_000

_ANIMALS = (
    "Otter", "Badger", "Heron", "Lynx", "Marten", "Puffin", "Ibex", "Gecko",
    "Narwhal", "Okapi", "Tapir", "Wombat", "Quokka", "Kestrel", "Axolotl",
)  # fmt: skip


def find_object(conn: Connection, workspace: Workspace, *, key: ObjectKey) -> Object | None:
    return queries.find_object(conn, workspace_id=workspace.id, key=key)


def identify_object(
    conn: Connection, workspace: Workspace, *, key: ObjectKey, attributes: dict[str, Any], now: datetime
) -> Object:
    """Create or update an object; an empty attribute value removes the attribute.

    Raises ObjectNotFound for an unknown cio_object_id (it finds, never creates), ObjectTypeNotFound
    when the type is unknown and no more may be created, and LimitExceeded past 100 KB of attributes.
    """
    obj = queries.find_object(conn, workspace_id=workspace.id, key=key)
    if obj is None:
        return _create_object(conn, workspace, key=key, attributes=attributes, now=now)
    merged = merge_plain_attributes(obj.attributes, attributes)
    if merged != obj.attributes:
        _check_size(merged)
        obj = Object(obj.cio_object_id, obj.type_id, obj.object_id, merged, obj.created_at, now)
        queries.update_object_attributes(conn, workspace_id=workspace.id, obj=obj)
    return obj


def delete_object(conn: Connection, workspace: Workspace, *, key: ObjectKey) -> bool:
    """Delete an object and its relationships; an unknown object is not an error (Customer.io ignores it)."""
    obj = queries.find_object(conn, workspace_id=workspace.id, key=key)
    if obj is None:
        return False
    queries.delete_object(conn, workspace_id=workspace.id, cio_object_id=obj.cio_object_id)
    return True


def relate(
    conn: Connection,
    workspace: Workspace,
    person: Person,
    *,
    key: ObjectKey,
    attributes: dict[str, Any],
    now: datetime,
) -> Object:
    """Relate a person to an object (created if missing); a second call updates the relationship's attributes."""
    obj = identify_object(conn, workspace, key=key, attributes={}, now=now)
    current = queries.find_relationship_attributes(
        conn, workspace_id=workspace.id, cio_id=person.cio_id, cio_object_id=obj.cio_object_id
    )
    merged = merge_plain_attributes(current or {}, attributes)
    if current is None or merged != current:
        queries.upsert_relationship(
            conn,
            workspace_id=workspace.id,
            cio_id=person.cio_id,
            cio_object_id=obj.cio_object_id,
            attributes=merged,
            now=now,
        )
    if current is None:
        _record(conn, workspace, person, obj, ActivityType.RELATIONSHIP_ADD, attributes=merged, now=now)
    return obj


def relate_anonymous(
    conn: Connection,
    workspace: Workspace,
    *,
    anonymous_id: str,
    key: ObjectKey,
    attributes: dict[str, Any],
    now: datetime,
) -> Object:
    """Relate someone known only by an anonymous id to an object (created if missing), until an
    identify carries the relationship over to a person; within 5 minutes of that identify the
    relationship goes to the person directly."""
    person = late_joiner(conn, workspace, anonymous_id=anonymous_id, now=now)
    if person is not None:
        return relate(conn, workspace, person, key=key, attributes=attributes, now=now)
    obj = identify_object(conn, workspace, key=key, attributes={}, now=now)
    queries.upsert_anonymous_relationship(
        conn,
        workspace_id=workspace.id,
        anonymous_id=anonymous_id,
        cio_object_id=obj.cio_object_id,
        attributes={k: v for k, v in attributes.items() if v not in (None, "")},
        received_at=now,
    )
    return obj


def adopt_anonymous_relationships(
    conn: Connection, workspace: Workspace, person: Person, *, anonymous_id: str, now: datetime
) -> int:
    """Give a person the relationships of the anonymous id just merged into them; returns how many."""
    taken = queries.take_anonymous_relationships(conn, workspace_id=workspace.id, anonymous_id=anonymous_id)
    for cio_object_id, attributes in taken:
        relate(conn, workspace, person, key=ObjectKey(cio_object_id=cio_object_id), attributes=attributes, now=now)
    return len(taken)


def unrelate(conn: Connection, workspace: Workspace, person: Person, *, key: ObjectKey, now: datetime) -> bool:
    """End a relationship; True if there was one. An unknown object is not an error."""
    obj = queries.find_object(conn, workspace_id=workspace.id, key=key)
    if obj is None:
        return False
    deleted = queries.delete_relationship(
        conn, workspace_id=workspace.id, cio_id=person.cio_id, cio_object_id=obj.cio_object_id
    )
    if deleted:
        _record(conn, workspace, person, obj, ActivityType.RELATIONSHIP_DELETE, attributes={}, now=now)
    return deleted


def _create_object(
    conn: Connection, workspace: Workspace, *, key: ObjectKey, attributes: dict[str, Any], now: datetime
) -> Object:
    if key.cio_object_id is not None:
        raise ObjectNotFound(f"no object with cio_object_id {key.cio_object_id!r}")
    assert key.object_id, "ingest must name an object by object_id or cio_object_id"
    _ensure_object_type(conn, workspace, type_id=key.type_id, now=now)
    values = merge_plain_attributes({}, attributes)
    _check_size(values)
    obj = Object(
        cio_object_id=new_cio_id(now),
        type_id=key.type_id,
        object_id=key.object_id,
        attributes=values,
        created_at=now,
        updated_at=now,
    )
    queries.insert_object(conn, workspace_id=workspace.id, obj=obj)
    return obj


def _ensure_object_type(conn: Connection, workspace: Workspace, *, type_id: int, now: datetime) -> None:
    if queries.find_object_type(conn, workspace_id=workspace.id, type_id=type_id) is not None:
        return
    count = queries.count_object_types(conn, workspace_id=workspace.id)
    if count >= MAX_AUTO_CREATED_OBJECT_TYPES:
        raise ObjectTypeNotFound(
            f"object type {type_id} does not exist, and a workspace creates at most "
            f"{MAX_AUTO_CREATED_OBJECT_TYPES} types from API calls"
        )
    animal = _ANIMALS[count % len(_ANIMALS)]
    # tidings has no plan limits, so an automatically created type is enabled (Customer.io
    # disables the ones beyond a plan's allowance).
    object_type = ObjectType(
        type_id=type_id,
        name=f"{animal}s",
        singular_name=animal,
        liquid_identifier=f"{animal.lower()}s",
        is_enabled=True,
        created_at=now,
    )
    queries.insert_object_type(conn, workspace_id=workspace.id, object_type=object_type)


def _check_size(attributes: dict[str, Any]) -> None:
    size = len(msgspec.json.encode(attributes))
    if size > MAX_OBJECT_ATTRIBUTE_BYTES:
        raise LimitExceeded(
            f"object attributes total {size} bytes, over the limit of {MAX_OBJECT_ATTRIBUTE_BYTES}",
            field="attributes",
        )


def _record(
    conn: Connection,
    workspace: Workspace,
    person: Person,
    obj: Object,
    type: ActivityType,
    *,
    attributes: dict[str, Any],
    now: datetime,
) -> None:
    data = {"object_type_id": obj.type_id, "object_id": obj.object_id, "cio_object_id": obj.cio_object_id}
    if attributes:
        data["relationship_attributes"] = attributes
    insert_activities(conn, [activity_row(workspace.id, person.cio_id, type, name=obj.object_id, data=data, now=now)])
