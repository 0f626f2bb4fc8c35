"""Segments through the App API: Customer.io's `/v1/segments...` endpoints, plus tidings' own for
what Customer.io does only in its dashboard: data-driven segments from a condition document
(`POST /v1/segments` with `conditions`, `PUT /v1/segments/{id}`), a count preview, and managing a
manual segment's members with an App API key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings import segments
from tidings.api.app_api import find_customer
from tidings.api.auth import Authenticator
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.errors import InvalidInput, NotFound
from tidings.ingest import IngestLimits, decode_body, track_api
from tidings.log import ChangeSegment, Origin
from tidings.segments import Segment, SegmentKind, SegmentState
from tidings.services import Services

__all__ = ["segments_router"]

_BODY_BYTES = 256 * 1024
_PAGE_DEFAULT = 1000
_PAGE_MAX = 30000


def segments_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: segments"])

    async def segment_or_404(workspace_id: int, segment_id: int) -> Segment:
        found = await services.db.read(segments.find_segment, workspace_id=workspace_id, segment_id=segment_id)
        if found is None:
            raise NotFound("segment not found")
        return found

    async def list_all(request: Request) -> Response:
        """The workspace's segments."""
        workspace = await auth.app_workspace(request)
        found = await services.db.read(segments.list_segments, workspace_id=workspace.id)
        return FastJSONResponse({"segments": [segment_body(s) for s in found]})

    async def create(request: Request) -> Response:
        """Create a segment: `{"segment": {"name", "description"}}` is manual; with `conditions` it is
        data-driven, built over everyone in the background and live from then on."""
        workspace = await auth.app_workspace(request)
        fields = await segment_fields(request)
        if "conditions" in fields:
            created = await services.db.write(
                segments.create_data_segment,
                workspace_id=workspace.id,
                name=fields.get("name"),
                description=fields.get("description"),
                document=fields["conditions"],
                now=services.clock.now(),
            )
        else:
            created = await services.db.write(
                segments.create_manual_segment,
                workspace_id=workspace.id,
                name=fields.get("name"),
                description=fields.get("description"),
                now=services.clock.now(),
            )
        return FastJSONResponse({"segment": segment_body(created)})

    async def update(request: Request, segment_id: int) -> Response:
        """Change a segment's name or description, or a data-driven one's conditions (it rebuilds)."""
        workspace = await auth.app_workspace(request)
        fields = await segment_fields(request)
        updated = await services.db.write(
            segments.update_data_segment,
            workspace_id=workspace.id,
            segment_id=segment_id,
            changes=fields,
            now=services.clock.now(),
        )
        return FastJSONResponse({"segment": segment_body(updated)})

    async def preview(request: Request) -> Response:
        """How many people a condition document matches now, without saving a segment."""
        workspace = await auth.app_workspace(request)
        body = decode_body(await request.body(), content_type="application/json", limit=_BODY_BYTES)
        condition = segments.parse_condition(body.get("conditions"))

        def count(conn: Connection) -> int:
            return segments.count_matching(
                conn,
                workspace_id=workspace.id,
                condition=condition,
                now=services.clock.now(),
                memberships=segments.memberships_selectable(workspace.id),
            )

        return FastJSONResponse({"count": await services.db.read(count)})

    async def segment_fields(request: Request) -> dict[str, Any]:
        body = decode_body(await request.body(), content_type="application/json", limit=_BODY_BYTES)
        fields = body.get("segment")
        if not isinstance(fields, dict):
            raise InvalidInput("segment is required and must be an object", field="segment")
        return fields

    async def get_one(request: Request, segment_id: int) -> Response:
        """One segment."""
        workspace = await auth.app_workspace(request)
        return FastJSONResponse({"segment": segment_body(await segment_or_404(workspace.id, segment_id))})

    async def delete_one(request: Request, segment_id: int) -> Response:
        """Delete a segment (its people stay); refused while another segment uses it."""
        workspace = await auth.app_workspace(request)
        await services.db.write(
            segments.delete_segment, workspace_id=workspace.id, segment_id=segment_id, now=services.clock.now()
        )
        return FastJSONResponse({})

    async def membership(request: Request, segment_id: int, start: str | None = None, limit: int = _PAGE_DEFAULT) -> Response:
        """The members' identifiers, in pages; pass `next` back as `start`."""
        workspace = await auth.app_workspace(request)
        if not 1 <= limit <= _PAGE_MAX:
            raise InvalidInput(f"limit must be between 1 and {_PAGE_MAX}", field="limit")
        await segment_or_404(workspace.id, segment_id)
        page = await services.db.read(
            segments.list_member_identifiers,
            workspace_id=workspace.id,
            segment_id=segment_id,
            after_cio_id=start or None,
            limit=limit + 1,
        )
        more = len(page) > limit
        page = page[:limit]
        return FastJSONResponse(
            {
                "identifiers": [{"id": id_, "email": email, "cio_id": cio_id} for cio_id, id_, email in page],
                "ids": [id_ for _, id_, _ in page if id_ is not None],
                "next": page[-1][0] if more else "",
            }
        )

    async def customer_count(request: Request, segment_id: int) -> Response:
        """How many people are in the segment."""
        workspace = await auth.app_workspace(request)
        await segment_or_404(workspace.id, segment_id)
        count = await services.db.read(segments.count_members, workspace_id=workspace.id, segment_id=segment_id)
        return FastJSONResponse({"count": count})

    async def customer_segments(request: Request, identifier: str, id_type: str = "id") -> Response:
        """The segments a person is in."""
        workspace = await auth.app_workspace(request)

        def read(conn: Connection) -> list[Segment]:
            person = find_customer(conn, workspace.id, identifier=identifier, id_type=id_type)
            return segments.list_person_segments(conn, workspace_id=workspace.id, cio_id=person.cio_id)

        found = await services.db.read(read)
        return FastJSONResponse({"segments": [segment_body(s) for s in found]})

    async def change_members(request: Request, segment_id: int, id_type: str, *, is_add: bool) -> Response:
        workspace = await auth.app_workspace(request)
        await services.db.read(segments.manual_segment, workspace_id=workspace.id, segment_id=segment_id)
        body = decode_body(await request.body(), content_type="application/json", limit=1024 * 1024)
        message = track_api.segment_change(
            segment_id,
            body,
            id_type=id_type,
            is_add=is_add,
            received_at=services.clock.now(),
            limits=IngestLimits.for_workspace(workspace.limits),
        )
        await services.log.append(workspace.id, [message], origin=Origin.APP)
        return FastJSONResponse({})

    async def add_customers(request: Request, segment_id: int, id_type: str = "id") -> Response:
        """Add existing people to a manual segment (tidings' own, with an App API key)."""
        return await change_members(request, segment_id, id_type, is_add=True)

    async def remove_customers(request: Request, segment_id: int, id_type: str = "id") -> Response:
        """Remove people from a manual segment (tidings' own, with an App API key)."""
        return await change_members(request, segment_id, id_type, is_add=False)

    async def clear(request: Request, segment_id: int) -> Response:
        """Remove everyone from a manual segment ("Clear Segment")."""
        workspace = await auth.app_workspace(request)
        await services.db.read(segments.manual_segment, workspace_id=workspace.id, segment_id=segment_id)
        message = ChangeSegment(received_at=services.clock.now(), segment_id=segment_id, clear=True)
        await services.log.append(workspace.id, [message], origin=Origin.APP)
        return FastJSONResponse({})

    router.add_api_route("/segments", list_all, methods=["GET"])
    router.add_api_route("/segments", create, methods=["POST"])
    router.add_api_route("/segments/preview", preview, methods=["POST"])
    router.add_api_route("/segments/{segment_id}", get_one, methods=["GET"])
    router.add_api_route("/segments/{segment_id}", update, methods=["PUT"])
    router.add_api_route("/segments/{segment_id}", delete_one, methods=["DELETE"])
    router.add_api_route("/segments/{segment_id}/membership", membership, methods=["GET"])
    router.add_api_route("/segments/{segment_id}/customer_count", customer_count, methods=["GET"])
    router.add_api_route("/segments/{segment_id}/add_customers", add_customers, methods=["POST"])
    router.add_api_route("/segments/{segment_id}/remove_customers", remove_customers, methods=["POST"])
    router.add_api_route("/segments/{segment_id}/clear", clear, methods=["POST"])
    router.add_api_route("/customers/{identifier:segment}/segments", customer_segments, methods=["GET"])
    return router


def segment_body(segment: Segment) -> dict[str, Any]:
    """Customer.io's segment object: `type` is `dynamic` for a data-driven segment, `manual` otherwise."""
    return {
        "id": segment.id,
        "name": segment.name,
        "description": segment.description,
        "type": "dynamic" if segment.kind is SegmentKind.DATA_DRIVEN else "manual",
        "state": "finished" if segment.state is SegmentState.READY else "building",
        "progress": segment.progress if segment.state is SegmentState.BUILDING else None,
        "conditions": segment.conditions,
        "created_at": to_unix(segment.created_at),
        "updated_at": to_unix(segment.updated_at),
    }
