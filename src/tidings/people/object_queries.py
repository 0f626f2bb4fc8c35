"""Every statement about object types, objects and relationships. Rows in, values out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from tidings.db.dialect import insert_ignoring_conflicts, upsert
from tidings.db.driver import DriverStatement
from tidings.db.schema import anonymous_relationships, object_types, objects, people, relationships
from tidings.people.types import Object, ObjectKey, ObjectRelationship, ObjectType, PersonRelationship

__all__ = [
    "count_object_types",
    "delete_anonymous_relationships_received_before",
    "delete_object",
    "delete_relationship",
    "find_object",
    "find_object_type",
    "find_relationship_attributes",
    "insert_object",
    "insert_object_type",
    "list_object_relationships",
    "list_object_types",
    "list_person_relationships",
    "move_relationships",
    "take_anonymous_relationships",
    "update_object_attributes",
    "upsert_anonymous_relationship",
    "upsert_relationship",
]

_OBJECT = select(
    objects.c.cio_object_id,
    objects.c.type_id,
    objects.c.object_id,
    objects.c.attributes,
    objects.c.created_at,
    objects.c.updated_at,
)


def _object(row: Row[Any]) -> Object:
    return Object(
        cio_object_id=row.cio_object_id,
        type_id=row.type_id,
        object_id=row.object_id,
        attributes=dict(row.attributes),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _object_type(row: Row[Any]) -> ObjectType:
    return ObjectType(
        type_id=row.type_id,
        name=row.name,
        singular_name=row.singular_name,
        liquid_identifier=row.liquid_identifier,
        is_enabled=row.is_enabled,
        created_at=row.created_at,
    )


def find_object_type(conn: Connection, *, workspace_id: int, type_id: int) -> ObjectType | None:
    row = conn.execute(
        select(object_types).where(object_types.c.workspace_id == workspace_id, object_types.c.type_id == type_id)
    ).first()
    return _object_type(row) if row else None


def list_object_types(conn: Connection, *, workspace_id: int) -> list[ObjectType]:
    rows = conn.execute(
        select(object_types).where(object_types.c.workspace_id == workspace_id).order_by(object_types.c.type_id)
    )
    return [_object_type(row) for row in rows]


def count_object_types(conn: Connection, *, workspace_id: int) -> int:
    return conn.execute(select(func.count()).where(object_types.c.workspace_id == workspace_id)).scalar_one()


def insert_object_type(conn: Connection, *, workspace_id: int, object_type: ObjectType) -> None:
    """Store a type unless another writer stored the same number first."""
    insert_ignoring_conflicts(
        conn,
        object_types,
        {
            "workspace_id": workspace_id,
            "type_id": object_type.type_id,
            "name": object_type.name,
            "singular_name": object_type.singular_name,
            "liquid_identifier": object_type.liquid_identifier,
            "is_enabled": object_type.is_enabled,
            "created_at": object_type.created_at,
        },
    )


def find_object(conn: Connection, *, workspace_id: int, key: ObjectKey) -> Object | None:
    statement = _OBJECT.where(objects.c.workspace_id == workspace_id)
    if key.cio_object_id is not None:
        statement = statement.where(objects.c.cio_object_id == key.cio_object_id)
    else:
        statement = statement.where(objects.c.type_id == key.type_id, objects.c.object_id == key.object_id)
    row = conn.execute(statement).first()
    return _object(row) if row else None


def insert_object(conn: Connection, *, workspace_id: int, obj: Object) -> None:
    conn.execute(
        insert(objects).values(
            workspace_id=workspace_id,
            cio_object_id=obj.cio_object_id,
            type_id=obj.type_id,
            object_id=obj.object_id,
            attributes=obj.attributes,
            created_at=obj.created_at,
            updated_at=obj.updated_at,
        )
    )


def update_object_attributes(conn: Connection, *, workspace_id: int, obj: Object) -> None:
    conn.execute(
        update(objects)
        .where(objects.c.workspace_id == workspace_id, objects.c.cio_object_id == obj.cio_object_id)
        .values(attributes=obj.attributes, updated_at=obj.updated_at)
    )


def delete_object(conn: Connection, *, workspace_id: int, cio_object_id: str) -> None:
    """Remove an object and every relationship to it."""
    for table in (relationships, anonymous_relationships, objects):
        conn.execute(
            delete(table).where(table.c.workspace_id == workspace_id, table.c.cio_object_id == cio_object_id)
        )


def upsert_relationship(
    conn: Connection, *, workspace_id: int, cio_id: str, cio_object_id: str, attributes: dict[str, Any], now: datetime
) -> None:
    upsert(
        conn,
        relationships,
        {
            "workspace_id": workspace_id,
            "cio_id": cio_id,
            "cio_object_id": cio_object_id,
            "attributes": attributes,
            "created_at": now,
            "updated_at": now,
        },
        key=("workspace_id", "cio_id", "cio_object_id"),
        update=("attributes", "updated_at"),
    )


def find_relationship_attributes(
    conn: Connection, *, workspace_id: int, cio_id: str, cio_object_id: str
) -> dict[str, Any] | None:
    row = conn.execute(
        select(relationships.c.attributes).where(
            relationships.c.workspace_id == workspace_id,
            relationships.c.cio_id == cio_id,
            relationships.c.cio_object_id == cio_object_id,
        )
    ).first()
    return dict(row.attributes) if row else None


def delete_relationship(conn: Connection, *, workspace_id: int, cio_id: str, cio_object_id: str) -> bool:
    result = conn.execute(
        delete(relationships).where(
            relationships.c.workspace_id == workspace_id,
            relationships.c.cio_id == cio_id,
            relationships.c.cio_object_id == cio_object_id,
        )
    )
    return result.rowcount > 0


def move_relationships(conn: Connection, *, workspace_id: int, from_cio_id: str, to_cio_id: str) -> None:
    """Give a merged-away person's relationships to the survivor; where both relate to an object, the
    survivor's relationship stays as it is."""
    rows = conn.execute(
        select(relationships).where(relationships.c.workspace_id == workspace_id, relationships.c.cio_id == from_cio_id)
    ).mappings()
    for row in list(rows):
        insert_ignoring_conflicts(conn, relationships, {**row, "cio_id": to_cio_id})
    conn.execute(
        delete(relationships).where(relationships.c.workspace_id == workspace_id, relationships.c.cio_id == from_cio_id)
    )


def list_person_relationships(conn: Connection, *, workspace_id: int, cio_id: str) -> list[PersonRelationship]:
    """A person's relationships, most recently created objects first (as Liquid's `objects` lists them)."""
    rows = conn.execute(
        _OBJECT.add_columns(
            relationships.c.attributes.label("relationship_attributes"),
            relationships.c.created_at.label("related_at"),
        )
        .join_from(
            relationships,
            objects,
            (objects.c.workspace_id == relationships.c.workspace_id)
            & (objects.c.cio_object_id == relationships.c.cio_object_id),
        )
        .where(relationships.c.workspace_id == workspace_id, relationships.c.cio_id == cio_id)
        .order_by(objects.c.type_id, objects.c.created_at.desc(), objects.c.cio_object_id)
    )
    return [
        PersonRelationship(object=_object(row), attributes=dict(row.relationship_attributes), created_at=row.related_at)
        for row in rows
    ]


def list_object_relationships(
    conn: Connection, *, workspace_id: int, cio_object_id: str, after_cio_id: str | None, limit: int
) -> list[ObjectRelationship]:
    """The people related to an object, in cio_id order, continuing after `after_cio_id`."""
    statement = (
        select(people.c.cio_id, people.c.id, people.c.email, relationships.c.attributes, relationships.c.created_at)
        .join_from(
            relationships,
            people,
            (people.c.workspace_id == relationships.c.workspace_id) & (people.c.cio_id == relationships.c.cio_id),
        )
        .where(relationships.c.workspace_id == workspace_id, relationships.c.cio_object_id == cio_object_id)
        .order_by(relationships.c.cio_id)
        .limit(limit)
    )
    if after_cio_id is not None:
        statement = statement.where(relationships.c.cio_id > after_cio_id)
    return [
        ObjectRelationship(
            cio_id=row.cio_id, id=row.id, email=row.email, attributes=dict(row.attributes), created_at=row.created_at
        )
        for row in conn.execute(statement)
    ]


def upsert_anonymous_relationship(
    conn: Connection,
    *,
    workspace_id: int,
    anonymous_id: str,
    cio_object_id: str,
    attributes: dict[str, Any],
    received_at: datetime,
) -> None:
    """Relate an anonymous id to an object; relating them again replaces the attributes."""
    upsert(
        conn,
        anonymous_relationships,
        {
            "workspace_id": workspace_id,
            "anonymous_id": anonymous_id,
            "cio_object_id": cio_object_id,
            "attributes": attributes,
            "received_at": received_at,
        },
        key=("workspace_id", "anonymous_id", "cio_object_id"),
        update=("attributes", "received_at"),
    )


_TAKE_ANONYMOUS_RELATIONSHIPS = DriverStatement(
    lambda dialect: delete(anonymous_relationships)
    .where(
        anonymous_relationships.c.workspace_id == bindparam("workspace_id"),
        anonymous_relationships.c.anonymous_id == bindparam("anonymous_id"),
    )
    .returning(anonymous_relationships.c.cio_object_id, anonymous_relationships.c.attributes)
)


def take_anonymous_relationships(
    conn: Connection, *, workspace_id: int, anonymous_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """Remove and return (cio_object_id, attributes) of an anonymous id's relationships, in the
    order of the objects' ids (one statement, run by every identify that merges an anonymous id)."""
    rows = _TAKE_ANONYMOUS_RELATIONSHIPS.rows(conn, {"workspace_id": workspace_id, "anonymous_id": anonymous_id})
    return sorted((cio_object_id, dict(attributes)) for cio_object_id, attributes in rows)


def delete_anonymous_relationships_received_before(conn: Connection, *, cutoff: datetime) -> int:
    """Drop the relationships of every workspace's anonymous ids last related before `cutoff`."""
    return conn.execute(delete(anonymous_relationships).where(anonymous_relationships.c.received_at < cutoff)).rowcount
