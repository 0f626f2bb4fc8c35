"""Every statement the people domain runs. Rows in, values out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, literal, select, union_all, update
from sqlalchemy.engine import Connection, Row

from tidings.db.dialect import (
    insert_ignoring_conflicts,
    one_of,
    upsert_statement,
)
from tidings.db.driver import DriverStatement
from tidings.db.schema import (
    activities,
    devices,
    events,
    people,
    relationships,
    segment_members,
    segment_rechecks,
    suppressions,
)
from tidings.people.identifiers import email_key
from tidings.people.types import IdentifierKind, Person, ResolvedRef

__all__ = [
    "delete_person_data",
    "delete_suppressions",
    "find_people",
    "find_people_by_any",
    "find_person",
    "find_suppressed",
    "insert_people",
    "insert_person",
    "insert_suppressions",
    "move_person_data",
    "people_with_email",
    "store_people",
    "update_attributes",
    "update_people",
    "update_person",
]


def _person_of(row: tuple[Any, ...]) -> Person:
    """A person from the columns of `_PERSON`, as a driver statement returns them."""
    cio_id, id, email, attributes, attribute_timestamps, created_at, updated_at = row
    return Person(
        cio_id=cio_id,
        id=id,
        email=email,
        attributes=dict(attributes),
        attribute_timestamps=dict(attribute_timestamps),
        created_at=created_at,
        updated_at=updated_at,
    )


def _person(row: Row[Any]) -> Person:
    return Person(
        cio_id=row.cio_id,
        id=row.id,
        email=row.email,
        attributes=dict(row.attributes),
        attribute_timestamps=dict(row.attribute_timestamps),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_PERSON = select(
    people.c.cio_id,
    people.c.id,
    people.c.email,
    people.c.attributes,
    people.c.attribute_timestamps,
    people.c.created_at,
    people.c.updated_at,
)


_BY_KIND = {
    IdentifierKind.CIO_ID: people.c.cio_id,
    IdentifierKind.ID: people.c.id,
    IdentifierKind.EMAIL: people.c.email_key,
}


def _find_person_statement(kind: IdentifierKind) -> DriverStatement:
    column = _BY_KIND[kind]
    return DriverStatement(
        lambda dialect: _PERSON.where(people.c.workspace_id == bindparam("workspace_id"), column == bindparam("value"))
        .order_by(people.c.created_at, people.c.cio_id)
        .limit(1)
    )


_FIND_PERSON_BY_CIO_ID = _find_person_statement(IdentifierKind.CIO_ID)
_FIND_PERSON_BY_ID = _find_person_statement(IdentifierKind.ID)
_FIND_PERSON_BY_EMAIL = _find_person_statement(IdentifierKind.EMAIL)
_FIND_PERSON = {
    IdentifierKind.CIO_ID: _FIND_PERSON_BY_CIO_ID,
    IdentifierKind.ID: _FIND_PERSON_BY_ID,
    IdentifierKind.EMAIL: _FIND_PERSON_BY_EMAIL,
}


def find_person(conn: Connection, *, workspace_id: int, ref: ResolvedRef) -> Person | None:
    """The person an identifier names; for an email shared by several (id-only workspaces), the oldest."""
    value = email_key(ref.value) if ref.kind is IdentifierKind.EMAIL else ref.value
    rows = _FIND_PERSON[ref.kind].rows(conn, {"workspace_id": workspace_id, "value": value})
    return _person_of(rows[0]) if rows else None


def _find_people_statement(kind: IdentifierKind) -> DriverStatement:
    column = _BY_KIND[kind]
    return DriverStatement(
        lambda dialect: _PERSON.where(people.c.workspace_id == bindparam("workspace_id"), one_of(column, "values", dialect))
    )


_FIND_PEOPLE_BY_CIO_ID = _find_people_statement(IdentifierKind.CIO_ID)
_FIND_PEOPLE_BY_ID = _find_people_statement(IdentifierKind.ID)
_FIND_PEOPLE_BY_EMAIL = _find_people_statement(IdentifierKind.EMAIL)
_FIND_PEOPLE = {
    IdentifierKind.CIO_ID: _FIND_PEOPLE_BY_CIO_ID,
    IdentifierKind.ID: _FIND_PEOPLE_BY_ID,
    IdentifierKind.EMAIL: _FIND_PEOPLE_BY_EMAIL,
}


def find_people(conn: Connection, *, workspace_id: int, refs: Sequence[ResolvedRef]) -> dict[ResolvedRef, Person]:
    """`find_person` for each of `refs` (a statement per kind of identifier); the ones nobody has are left out."""
    found: dict[ResolvedRef, Person] = {}
    for kind, statement in _FIND_PEOPLE.items():
        wanted: dict[str, list[ResolvedRef]] = {}
        for ref in refs:
            if ref.kind is kind:
                wanted.setdefault(email_key(ref.value) if kind is IdentifierKind.EMAIL else ref.value, []).append(ref)
        if not wanted:
            continue
        owners: dict[str, Person] = {}
        for row in statement.rows(conn, {"workspace_id": workspace_id, "values": list(wanted)}):
            person = _person_of(row)
            value = email_key(person.email) if kind is IdentifierKind.EMAIL else getattr(person, kind.value)
            owner = owners.get(value)
            # An email shared by several people (id-only workspaces) names the oldest, as in find_person.
            if owner is None or (person.created_at, person.cio_id) < (owner.created_at, owner.cio_id):
                owners[value] = person
        for value, person in owners.items():
            for ref in wanted[value]:
                found[ref] = person
    return found


_IDENTIFIER_COLUMNS = {
    IdentifierKind.CIO_ID: people.c.cio_id,
    IdentifierKind.ID: people.c.id,
    IdentifierKind.EMAIL: people.c.email_key,
}


# One SELECT per kind of identifier, joined by UNION ALL: each searches its own index, where an OR
# of the three would scan the workspace on SQLite. A kind with no values reads an empty list.
_FIND_PEOPLE_BY_ANY = DriverStatement(
    lambda dialect: union_all(
        *(
            _PERSON.where(
                people.c.workspace_id == bindparam("workspace_id"),
                one_of(_IDENTIFIER_COLUMNS[kind], f"values_{kind.value}", dialect),
            )
            for kind in IdentifierKind
        )
    )
)


def find_people_by_any(
    conn: Connection, *, workspace_id: int, refs: Sequence[ResolvedRef]
) -> dict[ResolvedRef, Person]:
    """`find_people` in one statement whatever the kinds of identifier; the refs nobody has are left out."""
    values: dict[IdentifierKind, set[str]] = {}
    for ref in refs:
        values.setdefault(ref.kind, set()).add(email_key(ref.value) if ref.kind is IdentifierKind.EMAIL else ref.value)
    if not values:
        return {}
    parameters: dict[str, Any] = {"workspace_id": workspace_id}
    parameters |= {f"values_{kind.value}": list(values.get(kind, ())) for kind in IdentifierKind}
    owners: dict[tuple[IdentifierKind, str], Person] = {}
    for row in _FIND_PEOPLE_BY_ANY.rows(conn, parameters):
        person = _person_of(row)
        keys = [(IdentifierKind.CIO_ID, person.cio_id)]
        if person.id is not None:
            keys.append((IdentifierKind.ID, person.id))
        if person.email is not None:
            keys.append((IdentifierKind.EMAIL, email_key(person.email)))
        for key in keys:
            owner = owners.get(key)
            # An email shared by several people (id-only workspaces) names the oldest, as in find_person.
            if owner is None or (person.created_at, person.cio_id) < (owner.created_at, owner.cio_id):
                owners[key] = person
    found = {}
    for ref in refs:
        owner = owners.get((ref.kind, email_key(ref.value) if ref.kind is IdentifierKind.EMAIL else ref.value))
        if owner is not None:
            found[ref] = owner
    return found


def people_with_email(conn: Connection, *, workspace_id: int, email: str) -> list[Person]:
    rows = conn.execute(
        _PERSON.where(people.c.workspace_id == workspace_id, people.c.email_key == email_key(email)).order_by(
            people.c.created_at, people.c.cio_id
        )
    )
    return [_person(row) for row in rows]


_INSERT_PERSON = DriverStatement(
    lambda dialect: insert(people).values({column.name: bindparam(column.name) for column in people.columns})
)
_STORE_PERSON = DriverStatement(
    lambda dialect: upsert_statement(
        people,
        dialect,
        key=("workspace_id", "cio_id"),
        update=("id", "email", "email_key", "attributes", "attribute_timestamps", "updated_at"),
    ).values({column.name: bindparam(column.name) for column in people.columns})
)
_UPDATE_PERSON = DriverStatement(
    lambda dialect: update(people)
    .where(people.c.workspace_id == bindparam("in_workspace"), people.c.cio_id == bindparam("of_cio_id"))
    .values(
        id=bindparam("new_id"),
        email=bindparam("new_email"),
        email_key=bindparam("new_email_key"),
        attributes=bindparam("new_attributes"),
        attribute_timestamps=bindparam("new_attribute_timestamps"),
        updated_at=bindparam("new_updated_at"),
    )
)


def insert_person(conn: Connection, *, workspace_id: int, person: Person) -> None:
    insert_people(conn, [(workspace_id, person)])


def insert_people(conn: Connection, people: Sequence[tuple[int, Person]]) -> None:
    """Store new (workspace_id, person) pairs in one executemany."""
    if people:
        _INSERT_PERSON.execute_many(conn, [_person_row(workspace_id, person) for workspace_id, person in people])


def store_people(conn: Connection, pairs: Sequence[tuple[int, Person]]) -> None:
    """Insert new and update changed (workspace_id, person) pairs, in order, in one executemany."""
    if pairs:
        _STORE_PERSON.execute_many(conn, [_person_row(workspace_id, person) for workspace_id, person in pairs])


def _person_row(workspace_id: int, person: Person) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "cio_id": person.cio_id,
        "id": person.id,
        "email": person.email,
        "email_key": email_key(person.email) if person.email else None,
        "attributes": person.attributes,
        "attribute_timestamps": person.attribute_timestamps,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


def update_person(conn: Connection, *, workspace_id: int, person: Person) -> None:
    """Store a person's identifiers and attributes as given."""
    update_people(conn, [(workspace_id, person)])


def update_people(conn: Connection, people: Sequence[tuple[int, Person]]) -> None:
    """`update_person` for each (workspace_id, person) pair, in one executemany."""
    if people:
        _UPDATE_PERSON.execute_many(conn, [_person_update(workspace_id, person) for workspace_id, person in people])


def _person_update(workspace_id: int, person: Person) -> dict[str, Any]:
    return {
        "in_workspace": workspace_id,
        "of_cio_id": person.cio_id,
        "new_id": person.id,
        "new_email": person.email,
        "new_email_key": email_key(person.email) if person.email else None,
        "new_attributes": person.attributes,
        "new_attribute_timestamps": person.attribute_timestamps,
        "new_updated_at": person.updated_at,
    }


_UPDATE_ATTRIBUTES = DriverStatement(
    lambda dialect: update(people)
    .where(people.c.workspace_id == bindparam("in_workspace"), people.c.cio_id == bindparam("of_cio_id"))
    .values(
        attributes=bindparam("new_attributes"),
        attribute_timestamps=bindparam("new_attribute_timestamps"),
        updated_at=bindparam("new_updated_at"),
    )
)


def update_attributes(conn: Connection, people: Sequence[tuple[int, Person]]) -> bool:
    """Store the attributes of stored (workspace_id, person) pairs whose identifiers are as stored,
    in one executemany; False, storing nothing more, if some pair's person is not stored.

    Setting only these columns leaves the indexes on identifiers alone: SQLite rewrites an index
    entry for every indexed column an UPDATE sets, even to the value it had, and the unique id and
    email indexes are most of what an identify's or a page view's update of a person costs.
    """
    if not people:
        return True
    rows = [
        {
            "in_workspace": workspace_id,
            "of_cio_id": person.cio_id,
            "new_attributes": person.attributes,
            "new_attribute_timestamps": person.attribute_timestamps,
            "new_updated_at": person.updated_at,
        }
        for workspace_id, person in people
    ]
    return _UPDATE_ATTRIBUTES.execute_many(conn, rows) == len(rows)


def delete_person_data(conn: Connection, *, workspace_id: int, cio_id: str) -> None:
    """Remove a person and everything recorded about them."""
    for table in (events, activities, devices, relationships, segment_members, segment_rechecks, people):
        conn.execute(delete(table).where(table.c.workspace_id == workspace_id, table.c.cio_id == cio_id))


def move_person_data(conn: Connection, *, workspace_id: int, from_cio_id: str, to_cio_id: str) -> None:
    """Give a merged-away person's events and activity to the person they merged into (segment
    memberships pass through `Departures`)."""
    for table in (events, activities):
        conn.execute(
            update(table)
            .where(table.c.workspace_id == workspace_id, table.c.cio_id == from_cio_id)
            .values(cio_id=to_cio_id)
        )


def _suppression_key(ref: ResolvedRef) -> tuple[str, str]:
    return (ref.kind.value, email_key(ref.value) if ref.kind is IdentifierKind.EMAIL else ref.value)


_SUPPRESSED_CIO_ID = (
    select(literal(1))
    .where(suppressions.c.workspace_id == bindparam("workspace_id"), suppressions.c.cio_id == bindparam("value"))
    .limit(1)
)
_SUPPRESSED_IDENTIFIER = (
    select(literal(1))
    .where(
        suppressions.c.workspace_id == bindparam("workspace_id"),
        suppressions.c.identifier_type == bindparam("kind"),
        suppressions.c.value == bindparam("value"),
    )
    .limit(1)
)


def find_suppressed(conn: Connection, *, workspace_id: int, refs: Sequence[ResolvedRef]) -> ResolvedRef | None:
    """The first of `refs` that is suppressed, if any."""
    for ref in refs:
        if ref.kind is IdentifierKind.CIO_ID:
            found = conn.execute(_SUPPRESSED_CIO_ID, {"workspace_id": workspace_id, "value": ref.value})
        else:
            kind, value = _suppression_key(ref)
            found = conn.execute(_SUPPRESSED_IDENTIFIER, {"workspace_id": workspace_id, "kind": kind, "value": value})
        if found.first() is not None:
            return ref
    return None


def insert_suppressions(
    conn: Connection, *, workspace_id: int, cio_id: str, refs: Sequence[ResolvedRef], now: datetime
) -> None:
    for ref in refs:
        kind, value = _suppression_key(ref)
        insert_ignoring_conflicts(
            conn,
            suppressions,
            {"workspace_id": workspace_id, "identifier_type": kind, "value": value, "cio_id": cio_id, "suppressed_at": now},
        )


def delete_suppressions(conn: Connection, *, workspace_id: int, ref: ResolvedRef) -> int:
    """Free every identifier of the suppressed person `ref` names; returns how many were freed."""
    if ref.kind is IdentifierKind.CIO_ID:
        owner = ref.value
    else:
        kind, value = _suppression_key(ref)
        owner = (
            conn.execute(
                select(suppressions.c.cio_id).where(
                    suppressions.c.workspace_id == workspace_id,
                    suppressions.c.identifier_type == kind,
                    suppressions.c.value == value,
                )
            )
        ).scalar()
        if owner is None:
            return 0
    # A suppressed identifier nobody had (owner "") is freed alone; a person's are freed together.
    condition = suppressions.c.cio_id == owner
    if owner == "":
        condition &= (suppressions.c.identifier_type == kind) & (suppressions.c.value == value)
    result = conn.execute(delete(suppressions).where(suppressions.c.workspace_id == workspace_id, condition))
    return result.rowcount
