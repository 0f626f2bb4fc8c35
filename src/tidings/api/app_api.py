"""Customer.io's App API read-back of people (`/v1/customers...`), authenticated with a Bearer App API key.

Shapes follow what integrators read back from Customer.io: attribute values as strings, a
`timestamps` map of last updates, devices, relationships, and an activity feed paged with an
opaque cursor. Anonymous activity waiting for a merge is readable by anonymous id.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings import messaging, people
from tidings.api.auth import Authenticator
from tidings.api.cursors import decode_cursor, encode_cursor
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.errors import InvalidInput, NotFound
from tidings.messaging import SubscriptionCenter
from tidings.people import Activity, Device, IdentifierKind, Person, PersonRelationship, ResolvedRef
from tidings.services import Services

__all__ = ["app_api_router", "as_string", "find_customer"]

_ACTIVITY_PAGE_DEFAULT = 10
_ACTIVITY_PAGE_MAX = 100
_encode = msgspec.json.Encoder().encode
# No stored identifier or name contains U+0000, and PostgreSQL refuses it in a query.
_NUL = "\x00"
_COMPUTED = "_cio_subscription_preferences_computed"


def app_api_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API"])

    async def find_by_email(request: Request, email: str | None = None) -> Response:
        """People whose email matches, case-insensitively."""
        workspace = await auth.app_workspace(request)
        if not email:
            raise InvalidInput("email is required", field="email")
        if _NUL in email:
            return FastJSONResponse({"results": []})
        found = await services.db.read(people.people_with_email, workspace_id=workspace.id, email=email)
        return FastJSONResponse({"results": [{"id": p.id, "email": p.email, "cio_id": p.cio_id} for p in found]})

    async def attributes(request: Request, identifier: str, id_type: str = "id") -> Response:
        """A person's identifiers, attributes, update times and devices."""
        workspace = await auth.app_workspace(request)
        found = await services.db.read(_person_with_devices, workspace.id, identifier, id_type)
        return FastJSONResponse({"customer": _customer(*found)})

    async def activities(
        request: Request,
        identifier: str,
        id_type: str = "id",
        type: str | None = None,
        name: str | None = None,
        start: str | None = None,
        limit: int = _ACTIVITY_PAGE_DEFAULT,
    ) -> Response:
        """A person's activity, newest first; pass `next` back as `start` for the following page."""
        workspace = await auth.app_workspace(request)
        if not 1 <= limit <= _ACTIVITY_PAGE_MAX:
            raise InvalidInput(f"limit must be between 1 and {_ACTIVITY_PAGE_MAX}", field="limit")
        for field, value in (("type", type), ("name", name)):
            if value is not None and _NUL in value:
                raise InvalidInput(f"{field} cannot contain null characters", field=field)
        before = decode_cursor(start) if start else None

        def read(conn: Connection) -> tuple[Person, list[Activity]]:
            person = find_customer(conn, workspace.id, identifier=identifier, id_type=id_type)
            page = people.list_activities(
                conn, workspace_id=workspace.id, cio_id=person.cio_id, type=type, name=name, before=before, limit=limit + 1
            )
            return person, page

        person, page = await services.db.read(read)
        more = len(page) > limit
        page = page[:limit]
        return FastJSONResponse(
            {
                "activities": [_activity(a, person) for a in page],
                "next": encode_cursor(page[-1].timestamp, page[-1].key) if more else "",
            }
        )

    async def relationships(request: Request, identifier: str, id_type: str = "id") -> Response:
        """The objects a person relates to, with the relationships' attributes."""
        workspace = await auth.app_workspace(request)

        def read(conn: Connection) -> list[PersonRelationship]:
            person = find_customer(conn, workspace.id, identifier=identifier, id_type=id_type)
            return people.list_person_relationships(conn, workspace_id=workspace.id, cio_id=person.cio_id)

        found = await services.db.read(read)
        return FastJSONResponse({"cio_relationships": [_relationship(r) for r in found]})

    async def anonymous_activities(request: Request, anonymous_id: str, limit: int = _ACTIVITY_PAGE_MAX) -> Response:
        """Events (newest first) and push devices of an anonymous id that no identify has merged yet."""
        workspace = await auth.app_workspace(request)
        if not 1 <= limit <= _ACTIVITY_PAGE_MAX:
            raise InvalidInput(f"limit must be between 1 and {_ACTIVITY_PAGE_MAX}", field="limit")

        def read(conn: Connection) -> tuple[list[Activity], list[Device]]:
            if _NUL in anonymous_id:
                return [], []
            scope = {"workspace_id": workspace.id, "anonymous_id": anonymous_id}
            return people.list_anonymous_events(conn, **scope, limit=limit), people.list_anonymous_devices(conn, **scope)

        found, devices = await services.db.read(read)
        return FastJSONResponse(
            {
                "activities": [
                    {"id": a.key, "type": a.type, "name": a.name, "timestamp": to_unix(a.timestamp), "data": a.data}
                    for a in found
                ],
                "anonymous_id": anonymous_id,
                "devices": [_device(device) for device in devices],
            }
        )

    router.add_api_route("/customers", find_by_email, methods=["GET"])
    router.add_api_route("/customers/{identifier:segment}/attributes", attributes, methods=["GET"])
    router.add_api_route("/customers/{identifier:segment}/activities", activities, methods=["GET"])
    router.add_api_route("/customers/{identifier:segment}/relationships", relationships, methods=["GET"])
    router.add_api_route("/anonymous/{anonymous_id:segment}/activities", anonymous_activities, methods=["GET"])
    return router


def find_customer(conn: Connection, workspace_id: int, *, identifier: str, id_type: str) -> Person:
    """The person an App API path names by `id_type` (id, email or cio_id); raises NotFound."""
    try:
        kind = IdentifierKind(id_type)
    except ValueError:
        raise InvalidInput("id_type must be one of: id, email, cio_id", field="id_type") from None
    person = None if _NUL in identifier else people.find_person(conn, workspace_id=workspace_id, ref=ResolvedRef(kind, identifier))
    if person is None:
        raise NotFound("customer not found")
    return person


def _person_with_devices(
    conn: Connection, workspace_id: int, identifier: str, id_type: str
) -> tuple[Person, list[Device], SubscriptionCenter]:
    person = find_customer(conn, workspace_id, identifier=identifier, id_type=id_type)
    devices = people.list_devices(conn, workspace_id=workspace_id, cio_id=person.cio_id)
    return person, devices, messaging.read_subscription_center(conn, workspace_id=workspace_id)


def _customer(person: Person, devices: list[Device], center: SubscriptionCenter) -> dict[str, Any]:
    identifiers = {"id": person.id, "email": person.email, "cio_id": person.cio_id}
    attributes = {name: as_string(value) for name, value in person.attributes.items()}
    attributes.update({name: value for name, value in identifiers.items() if value is not None})
    timestamps = person.attribute_timestamps
    if center.topics:
        # Customer.io adds the preferences with defaults filled in; computed, so its time is 0.
        attributes[_COMPUTED] = as_string(messaging.computed_attribute(center, person.attributes))
        timestamps = {**timestamps, _COMPUTED: 0}
    return {
        "id": person.id,
        "identifiers": identifiers,
        "attributes": attributes,
        "timestamps": timestamps,
        "devices": [_device(device) for device in devices],
        "unsubscribed": people.is_unsubscribed(person.attributes.get("unsubscribed")),
    }


def _device(device: Device) -> dict[str, Any]:
    return {
        "id": device.token,
        "platform": device.platform,
        "last_used": to_unix(device.last_used),
        "_last_status": device.last_status,
        "attributes": device.attributes,
    }


def _relationship(relationship: PersonRelationship) -> dict[str, Any]:
    obj = relationship.object
    return {
        # Documented as an integer, returned as a string.
        "object_type_id": str(obj.type_id),
        "identifiers": {"object_id": obj.object_id, "cio_object_id": obj.cio_object_id},
        "attributes": {name: as_string(value) for name, value in relationship.attributes.items()},
    }


def as_string(value: Any) -> str:
    """Customer.io returns every attribute value as a string; non-strings are JSON-encoded."""
    return value if isinstance(value, str) else _encode(value).decode()


def _activity(activity: Activity, person: Person) -> dict[str, Any]:
    return {
        "id": activity.key,
        "type": activity.type,
        "name": activity.name,
        "timestamp": to_unix(activity.timestamp),
        "data": activity.data,
        "customer_id": person.id,
        "customer_identifiers": {"id": person.id, "email": person.email, "cio_id": person.cio_id},
    }

