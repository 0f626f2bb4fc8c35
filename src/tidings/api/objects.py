"""The App API for objects (`/v1/object_types`, `/v1/objects/{type}/{id}/...`), with a Bearer App API key.

Shaped as Customer.io answers: type ids and attribute values as strings, and an object's
relationships as the related people's identifiers, paged with `start` and `next`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings import people
from tidings.api.app_api import as_string
from tidings.api.auth import Authenticator
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.errors import InvalidInput, NotFound
from tidings.people import Object, ObjectKey, ObjectRelationship
from tidings.services import Services
from tidings.workspaces import Workspace

__all__ = ["objects_router"]

_PAGE_DEFAULT = 50
_PAGE_MAX = 1000
_ID_TYPES = ("object_id", "cio_object_id")


def objects_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: objects"])

    async def object_types(request: Request) -> Response:
        """The workspace's object types."""
        workspace = await auth.app_workspace(request)
        found = await services.db.read(people.list_object_types, workspace_id=workspace.id)
        return FastJSONResponse(
            {
                "types": [
                    {
                        "id": str(t.type_id),
                        "name": t.name,
                        "singular_name": t.singular_name,
                        "liquid_identifier": t.liquid_identifier,
                        "enabled": t.is_enabled,
                        "created_at": to_unix(t.created_at),
                    }
                    for t in found
                ]
            }
        )

    async def attributes(request: Request, object_type_id: str, object_id: str, id_type: str = "object_id") -> Response:
        """An object's identifiers and attributes; 404 when it does not exist."""
        workspace = await auth.app_workspace(request)
        key = _key(object_type_id, object_id, id_type)
        obj = await services.db.read(_object, workspace, key)
        return FastJSONResponse({"object": _object_body(obj)})

    async def relationships(
        request: Request,
        object_type_id: str,
        object_id: str,
        id_type: str = "object_id",
        start: str | None = None,
        limit: int = _PAGE_DEFAULT,
    ) -> Response:
        """The people an object relates to, with the relationships' attributes; pass `next` back as `start`."""
        workspace = await auth.app_workspace(request)
        if not 1 <= limit <= _PAGE_MAX:
            raise InvalidInput(f"limit must be between 1 and {_PAGE_MAX}", field="limit")
        key = _key(object_type_id, object_id, id_type)

        def read(conn: Connection) -> tuple[Object, list[ObjectRelationship]]:
            obj = _object(conn, workspace, key)
            page = people.list_object_relationships(
                conn, workspace_id=workspace.id, cio_object_id=obj.cio_object_id, after_cio_id=start or None, limit=limit + 1
            )
            return obj, page

        obj, page = await services.db.read(read)
        more = len(page) > limit
        page = page[:limit]
        return FastJSONResponse(
            {
                "cio_relationships": [_relationship(obj, r) for r in page],
                "next": page[-1].cio_id if more else "",
            }
        )

    base = "/objects/{object_type_id:segment}/{object_id:segment}"
    router.add_api_route("/object_types", object_types, methods=["GET"])
    router.add_api_route(f"{base}/attributes", attributes, methods=["GET"])
    router.add_api_route(f"{base}/relationships", relationships, methods=["GET"])
    return router


def _key(object_type_id: str, object_id: str, id_type: str) -> ObjectKey:
    if id_type not in _ID_TYPES:
        raise InvalidInput("id_type must be one of: object_id, cio_object_id", field="id_type")
    if not object_type_id.isdigit() or not 1 <= int(object_type_id) < 2**31:
        raise InvalidInput("object_type_id must be a positive integer", field="object_type_id")
    if id_type == "cio_object_id":
        return ObjectKey(type_id=int(object_type_id), cio_object_id=object_id)
    return ObjectKey(type_id=int(object_type_id), object_id=object_id)


def _object(conn: Connection, workspace: Workspace, key: ObjectKey) -> Object:
    # No stored id contains U+0000, and PostgreSQL refuses it in a query.
    found = None if "\x00" in (key.object_id or key.cio_object_id or "") else people.find_object(conn, workspace, key=key)
    if found is None or found.type_id != key.type_id:
        raise NotFound("object not found")
    return found


def _object_body(obj: Object) -> dict[str, Any]:
    return {
        "object_type_id": str(obj.type_id),
        "identifiers": {"object_id": obj.object_id, "cio_object_id": obj.cio_object_id},
        "attributes": {name: as_string(value) for name, value in obj.attributes.items()},
        "created_at": to_unix(obj.created_at),
        "updated_at": to_unix(obj.updated_at),
    }


def _relationship(obj: Object, relationship: ObjectRelationship) -> dict[str, Any]:
    return {
        "object_type_id": str(obj.type_id),
        "identifiers": {"cio_id": relationship.cio_id, "email": relationship.email, "id": relationship.id},
        "attributes": {name: as_string(value) for name, value in relationship.attributes.items()},
    }
