"""Identify: find or create the person a call names, then apply identifiers and attributes.

Follows Customer.io's rules: `cio_id` finds but never creates; in an email-or-id workspace a
person is found by id or by email (case-insensitively); an id changes only through `cio_id`; an
existing email changes through `cio_id`, or through `id` when the workspace allows it. When the id
and the email name two people who can be merged (one has no email, the other no id), the older
absorbs the younger.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from tidings.clock import to_unix
from tidings.people import activity_queries, queries
from tidings.people.activity import attribute_change_rows, failed_change_row
from tidings.people.attributes import apply_attribute_updates, is_empty
from tidings.people.departures import Departures
from tidings.people.errors import IdentifierConflict, IdentifierSuppressed, PersonNotFound
from tidings.people.identifiers import email_key, new_cio_id
from tidings.people.merge import merge_people
from tidings.people.types import IdentifierKind, Person, ResolvedRef
from tidings.workspaces import EmailUpdatePolicy, IdentifierMode, Workspace

__all__ = ["IdentifyRun", "find_or_create_person", "identify", "person_for"]


def identify(
    conn: Connection,
    workspace: Workspace,
    *,
    ref: ResolvedRef,
    traits: dict[str, Any],
    attributes_at: datetime,
    update_only: bool,
    departures: Departures,
    now: datetime,
) -> Person | None:
    """Create or update the person `ref` names; None when `update_only` and nobody matches.
    An automatic merge passes on what the merged-away person was in through `departures`.

    Raises IdentifierSuppressed, IdentifierConflict or PersonNotFound; the caller's savepoint
    undoes whatever was written before (an automatic merge can precede a conflict).
    """
    return _identify(
        _Immediate(conn, departures),
        workspace,
        ref=ref,
        traits=traits,
        attributes_at=attributes_at,
        update_only=update_only,
        now=now,
    )


class _People(Protocol):
    """Where `_identify` finds people and stores what it changed: at once, or in an IdentifyRun."""

    conn: Connection
    departures: Departures

    def find(self, workspace_id: int, ref: ResolvedRef) -> Person | None: ...

    def save(
        self, workspace_id: int, person: Person, *, before: Person | None, activities: list[dict[str, Any]]
    ) -> None: ...

    def settle(self) -> None:
        """Write what is pending and forget what was read: a merge reads and writes the database itself."""


class _Immediate:
    def __init__(self, conn: Connection, departures: Departures) -> None:
        self.conn = conn
        self.departures = departures

    def find(self, workspace_id: int, ref: ResolvedRef) -> Person | None:
        return queries.find_person(self.conn, workspace_id=workspace_id, ref=ref)

    def save(
        self, workspace_id: int, person: Person, *, before: Person | None, activities: list[dict[str, Any]]
    ) -> None:
        if before is None:
            queries.insert_person(self.conn, workspace_id=workspace_id, person=person)
        elif not _same_identifiers(before, person) or not queries.update_attributes(self.conn, [(workspace_id, person)]):
            queries.update_person(self.conn, workspace_id=workspace_id, person=person)
        activity_queries.insert_activities(self.conn, activities)

    def settle(self) -> None:
        pass


def _identify(
    people: _People,
    workspace: Workspace,
    *,
    ref: ResolvedRef,
    traits: dict[str, Any],
    attributes_at: datetime,
    update_only: bool,
    now: datetime,
) -> Person | None:
    email_is_identifier = workspace.identifier_mode is IdentifierMode.EMAIL_OR_ID
    given_id = _text(traits.get("id"))
    given_email = _text(traits.get("email"))
    lookups = _lookups(ref, given_id, given_email if email_is_identifier else None)
    _refuse_suppressed(people.conn, workspace, lookups)

    before = _find(people, workspace, ref, lookups, now=now)
    if before is None:
        if update_only:
            return None
        person = _new_person(ref, given_id, given_email, now=now)
        changed_identifiers = [name for name in ("id", "email") if getattr(person, name)]
        refused: list[tuple[str, Any]] = []
    else:
        person, changed_identifiers, refused = _update_identifiers(
            people, workspace, before, ref=ref, given_id=given_id, given_email=given_email
        )

    at = to_unix(attributes_at)
    attributes, timestamps, changes = apply_attribute_updates(
        person.attributes, person.attribute_timestamps, traits, at=at
    )
    timestamps.update({name: at for name in changed_identifiers})
    person = replace(person, attributes=attributes, attribute_timestamps=timestamps, updated_at=now)
    rows = attribute_change_rows(workspace.id, person.cio_id, changes, now=now)
    rows += [failed_change_row(workspace.id, person.cio_id, name, value, now=now) for name, value in refused]
    people.save(workspace.id, person, before=before, activities=rows)
    return person


# Well under SQLite's and PostgreSQL's limits on bound parameters.
_LOOK_UPS_PER_STATEMENT = 1000


class IdentifyRun:
    """A run of identifies applied with few statements, for the processor's batches.

    `look_up` finds the people of many identifies in one statement; each `identify` then reads them
    from the run and leaves its person and activity rows pending, and `flush` writes them with one
    statement per table. Nothing else may change people between the first `look_up` or `identify`
    and `flush`: the caller flushes before applying any other kind of message, except that events
    may come between identifies after `share_people`. The outcome is that of calling `identify`
    for each message in turn.
    """

    def __init__(self, conn: Connection, *, departures: Departures) -> None:
        self.conn = conn
        self.departures = departures
        # What a find would answer now; None: nobody has the identifier. Missing: ask the database
        # (after writing what is pending).
        self._known: dict[tuple[int, IdentifierKind, str], Person | None] = {}
        # People to store, new or changed, by (workspace_id, cio_id), and every identifier key
        # they had or have.
        self._people: dict[tuple[int, str], Person] = {}
        # Those of them that are new or whose identifiers changed since they were stored.
        self._moved: set[tuple[int, str]] = set()
        self._pending_keys: set[tuple[int, IdentifierKind, str]] = set()
        self._activities: list[dict[str, Any]] = []

    def look_up(self, workspace: Workspace, calls: Sequence[tuple[ResolvedRef, dict[str, Any]]]) -> None:
        """Find the people every (ref, traits) identify call of a run could name, in one statement."""
        email_is_identifier = workspace.identifier_mode is IdentifierMode.EMAIL_OR_ID
        wanted = {
            lookup: None
            for ref, traits in calls
            for lookup in _lookups(ref, _text(traits.get("id")), _text(traits.get("email")) if email_is_identifier else None)
            if _known_key(workspace.id, lookup) not in self._known
        }
        if not wanted:
            return
        self._write_people()
        refs = list(wanted)
        for first in range(0, len(refs), _LOOK_UPS_PER_STATEMENT):
            chunk = refs[first : first + _LOOK_UPS_PER_STATEMENT]
            found = queries.find_people_by_any(self.conn, workspace_id=workspace.id, refs=chunk)
            for ref in chunk:
                self._known[_known_key(workspace.id, ref)] = found.get(ref)

    def identify(
        self,
        workspace: Workspace,
        *,
        ref: ResolvedRef,
        traits: dict[str, Any],
        attributes_at: datetime,
        update_only: bool,
        now: datetime,
    ) -> Person | None:
        """As `identify`, written at the next `flush()`."""
        return _identify(
            self, workspace, ref=ref, traits=traits, attributes_at=attributes_at, update_only=update_only, now=now
        )

    def flush(self) -> None:
        """Write the pending people and activity rows, and start a new run."""
        self._write()
        self._known.clear()

    def write_activities(self) -> None:
        """Write the pending activity rows now, before rows written directly (an anonymous merge's),
        so that they keep the order of identifies applied one at a time."""
        activity_queries.insert_activities(self.conn, self._activities)
        self._activities.clear()

    def share_people(self, workspace: Workspace, refs: Sequence[ResolvedRef]) -> None:
        """Before events that name `refs`: write the pending people those could find, and forget
        what `refs` were known to find (an event creates the person nobody had).

        Events (not page or screen views, which end the run with `flush`) read and create people
        but never change one, and never read activity rows: everything else stays pending.
        """
        keys = {_known_key(workspace.id, ref) for ref in refs}
        if not keys.isdisjoint(self._pending_keys):
            self._write_people()
        for key in keys:
            self._known.pop(key, None)

    def find(self, workspace_id: int, ref: ResolvedRef) -> Person | None:
        key = _known_key(workspace_id, ref)
        if key not in self._known:
            self._write_people()
            self._known[key] = queries.find_person(self.conn, workspace_id=workspace_id, ref=ref)
        return self._known[key]

    def save(
        self, workspace_id: int, person: Person, *, before: Person | None, activities: list[dict[str, Any]]
    ) -> None:
        self._people[(workspace_id, person.cio_id)] = person
        if before is None or not _same_identifiers(before, person):
            self._moved.add((workspace_id, person.cio_id))
        self._pending_keys |= _identifier_keys(workspace_id, person)
        if before is not None:
            self._pending_keys |= _identifier_keys(workspace_id, before)
        self._activities.extend(activities)
        self._remember(workspace_id, person, before=before)
        if before is not None and before.id != person.id:
            # Pending writes never change an id, so their order cannot break the ids' uniqueness.
            self._write_people()

    def settle(self) -> None:
        self.flush()

    def _remember(self, workspace_id: int, person: Person, *, before: Person | None) -> None:
        """Keep what finds answer true after `person` replaced `before`."""
        keys = _identifier_keys(workspace_id, person)
        if before is not None:
            for key in _identifier_keys(workspace_id, before) - keys:
                known = self._known.get(key)
                if known is not None and known.cio_id == person.cio_id:
                    del self._known[key]  # someone else may have it (an email in an id-only workspace)
        for key in keys:
            if key not in self._known:
                if key[1] is not IdentifierKind.EMAIL:
                    self._known[key] = person  # ids and cio_ids belong to one person
                continue  # an older person may share the email: ask the database
            known = self._known[key]
            # An email shared by several people names the oldest, as `find_person` does.
            if known is None or known.cio_id == person.cio_id or _age(person) < _age(known):
                self._known[key] = person

    def _write(self) -> None:
        self._write_people()
        self.write_activities()

    def _write_people(self) -> None:
        """Store the pending people: new ones and changed identifiers with an upsert, in order; people
        changing only attributes with an update that leaves the identifier indexes alone."""
        moved = [(key[0], person) for key, person in self._people.items() if key in self._moved]
        kept = [(key[0], person) for key, person in self._people.items() if key not in self._moved]
        queries.store_people(self.conn, moved)
        if not queries.update_attributes(self.conn, kept):
            queries.store_people(self.conn, kept)  # not expected: someone was not stored after all
        self._people.clear()
        self._moved.clear()
        self._pending_keys.clear()


def _known_key(workspace_id: int, ref: ResolvedRef) -> tuple[int, IdentifierKind, str]:
    """Refs that find the same person share a key: emails match case-insensitively."""
    return (workspace_id, ref.kind, email_key(ref.value) if ref.kind is IdentifierKind.EMAIL else ref.value)


def _identifier_keys(workspace_id: int, person: Person) -> set[tuple[int, IdentifierKind, str]]:
    keys = {(workspace_id, IdentifierKind.CIO_ID, person.cio_id)}
    if person.id is not None:
        keys.add((workspace_id, IdentifierKind.ID, person.id))
    if person.email is not None:
        keys.add((workspace_id, IdentifierKind.EMAIL, email_key(person.email)))
    return keys


def _same_identifiers(before: Person, person: Person) -> bool:
    """Whether `person` keeps the identifiers `before` had (and so their index entries)."""
    return before.id == person.id and before.email == person.email


def _age(person: Person) -> tuple[datetime, str]:
    return (person.created_at, person.cio_id)


def find_or_create_person(
    conn: Connection, workspace: Workspace, *, ref: ResolvedRef, now: datetime
) -> Person:
    """The person `ref` names, created with just that identifier if new (events and devices do this)."""
    _refuse_suppressed(conn, workspace, [ref])
    person = queries.find_person(conn, workspace_id=workspace.id, ref=ref)
    if person is not None:
        return person
    person = person_for(ref, now=now)
    queries.insert_person(conn, workspace_id=workspace.id, person=person)
    return person


def person_for(ref: ResolvedRef, *, now: datetime) -> Person:
    """A new person (not yet stored) with just the identifier `ref`; raises PersonNotFound for a cio_id,
    which names but never creates."""
    if ref.kind is IdentifierKind.CIO_ID:
        raise PersonNotFound(f"no person with cio_id {ref.value!r}")
    person = _new_person(ref, None, None, now=now)
    return replace(person, attribute_timestamps={"cio_id": to_unix(now), ref.kind.value: to_unix(now)})


def _text(value: Any) -> str | None:
    return None if is_empty(value) else str(value)


def _lookups(ref: ResolvedRef, given_id: str | None, given_email: str | None) -> list[ResolvedRef]:
    """Every identifier the call could be found by, the path's own first."""
    lookups = [ref]
    if ref.kind is not IdentifierKind.CIO_ID:
        if given_id and ref != ResolvedRef(IdentifierKind.ID, given_id):
            lookups.append(ResolvedRef(IdentifierKind.ID, given_id))
        if given_email and not (ref.kind is IdentifierKind.EMAIL and email_key(ref.value) == email_key(given_email)):
            lookups.append(ResolvedRef(IdentifierKind.EMAIL, given_email))
    return lookups


def _refuse_suppressed(conn: Connection, workspace: Workspace, refs: list[ResolvedRef]) -> None:
    if not workspace.has_suppressions:
        return
    suppressed = queries.find_suppressed(conn, workspace_id=workspace.id, refs=refs)
    if suppressed is not None:
        raise IdentifierSuppressed(f"{suppressed.kind} {suppressed.value!r} is suppressed", field=suppressed.kind.value)


def _find(
    people: _People, workspace: Workspace, ref: ResolvedRef, lookups: list[ResolvedRef], *, now: datetime
) -> Person | None:
    if ref.kind is IdentifierKind.CIO_ID:
        person = people.find(workspace.id, ref)
        if person is None:
            raise PersonNotFound(f"no person with cio_id {ref.value!r}")
        return person
    found: dict[str, Person] = {}
    for lookup in lookups:
        if any(_has_identifier(person, lookup) for person in found.values()):
            continue  # identifiers are unique: the lookup would find the same person
        person = people.find(workspace.id, lookup)
        if person is not None:
            found.setdefault(person.cio_id, person)
    if len(found) <= 1:
        return next(iter(found.values()), None)
    people.settle()
    candidates = list(found.values())
    return _merge_duplicates(people.conn, workspace, candidates, departures=people.departures, now=now)


def _has_identifier(person: Person, ref: ResolvedRef) -> bool:
    if ref.kind is IdentifierKind.ID:
        return person.id == ref.value
    return ref.kind is IdentifierKind.EMAIL and person.email is not None and email_key(person.email) == email_key(ref.value)


def _merge_duplicates(
    conn: Connection, workspace: Workspace, candidates: list[Person], *, departures: Departures, now: datetime
) -> Person:
    """Customer.io's multi-identifier merge: one profile has only the id, the other only the email."""
    by_id = next((p for p in candidates if p.id is not None), None)
    by_email = next((p for p in candidates if p is not by_id), None)
    mergeable = (
        workspace.multi_identifier_merge
        and len(candidates) == 2
        and by_id is not None
        and by_email is not None
        and by_id.email is None
        and by_email.id is None
    )
    if not mergeable:
        raise IdentifierConflict("the id and the email belong to different people")
    primary, secondary = sorted(candidates, key=lambda p: (p.created_at, p.cio_id))
    return merge_people(
        conn, workspace, primary=primary, secondary=secondary, source="automatic", departures=departures, now=now
    )


def _new_person(ref: ResolvedRef, given_id: str | None, given_email: str | None, *, now: datetime) -> Person:
    person_id = ref.value if ref.kind is IdentifierKind.ID else given_id
    email = ref.value if ref.kind is IdentifierKind.EMAIL else given_email
    return Person(
        cio_id=new_cio_id(now),
        id=person_id,
        email=email,
        attributes={},
        attribute_timestamps={"cio_id": to_unix(now)},
        created_at=now,
        updated_at=now,
    )


def _update_identifiers(
    people: _People,
    workspace: Workspace,
    person: Person,
    *,
    ref: ResolvedRef,
    given_id: str | None,
    given_email: str | None,
) -> tuple[Person, list[str], list[tuple[str, Any]]]:
    """Apply the id and email of the call where Customer.io allows it.

    Returns the person, the identifiers changed, and the (name, value) changes refused.
    """
    email_is_identifier = workspace.identifier_mode is IdentifierMode.EMAIL_OR_ID
    changed: list[str] = []
    refused: list[tuple[str, Any]] = []
    if ref.kind is IdentifierKind.ID and person.id is None:
        given_id = given_id or ref.value
    if given_id is not None and given_id != person.id:
        if person.id is None or ref.kind is IdentifierKind.CIO_ID:
            if _taken(people, workspace, ResolvedRef(IdentifierKind.ID, given_id), person):
                raise IdentifierConflict(f"id {given_id!r} belongs to another person")
            person = replace(person, id=given_id)
            changed.append("id")
        else:
            refused.append(("id", given_id))
    if ref.kind is IdentifierKind.EMAIL and person.email is None:
        given_email = given_email or ref.value
    if given_email is not None and given_email != person.email:
        may_change = (
            person.email is None
            or not email_is_identifier
            or ref.kind is IdentifierKind.CIO_ID
            or (ref.kind is IdentifierKind.ID and workspace.email_update_policy is EmailUpdatePolicy.CIO_ID_OR_ID)
            or email_key(given_email) == email_key(person.email)
        )
        if may_change:
            if email_is_identifier and _taken(people, workspace, ResolvedRef(IdentifierKind.EMAIL, given_email), person):
                raise IdentifierConflict(f"email {given_email!r} belongs to another person")
            person = replace(person, email=given_email)
            changed.append("email")
        else:
            refused.append(("email", given_email))
    return person, changed, refused


def _taken(people: _People, workspace: Workspace, ref: ResolvedRef, person: Person) -> bool:
    owner = people.find(workspace.id, ref)
    return owner is not None and owner.cio_id != person.cio_id
